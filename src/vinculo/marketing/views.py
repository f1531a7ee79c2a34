"""Campaign pages: the list, create and edit, the detail (status, progress, costs, the A/B
variants), start and finish. Thin: the services decide."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.core.forms import apply_service_errors
from vinculo.core.history import record_history_display
from vinculo.core.services import PermissionDeniedError
from vinculo.core.views_base import (
    Column,
    RecordDeleteView,
    RecordListView,
    RecordMixin,
    ServiceEditView,
    flash_error,
)
from vinculo.interactions.merge_fields import merge_fields
from vinculo.marketing import forms, selectors, services
from vinculo.marketing.filters import CampaignFilterSet
from vinculo.marketing.models import Campaign, CampaignVariant


class CampaignListView(RecordListView):
    template_name = "marketing/record_list.html"
    permission_domain = "marketing"
    model = Campaign
    filterset_class = CampaignFilterSet
    list_name = "campaigns"
    title = gettext_lazy("Campaigns")
    create_url = reverse_lazy("marketing:campaign_create")
    add_permission = "marketing.add"
    row_template = "marketing/rows/campaign.html"
    default_sort = "-created_at"
    columns = (
        Column("name", gettext_lazy("Name"), "name"),
        Column("channel", gettext_lazy("Channel"), "channel"),
        Column("status", gettext_lazy("Status"), "status"),
        Column("segment", gettext_lazy("Segment")),
        Column("started_at", gettext_lazy("Started"), "started_at"),
        Column("owner", gettext_lazy("Owner")),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("segment", "owner")


class CampaignDetailView(RecordMixin, View):
    model = Campaign
    permission_domain = "marketing"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        return self.render_page(self.get_object(), forms.VariantForm(
            instance=CampaignVariant(), user=request.user))

    def render_page(self, campaign: Campaign, variant_form: Any, status: int = 200) -> Any:
        variants = list(campaign.variants.order_by("name"))
        return render(self.request, "marketing/campaign_detail.html", {
            "record": campaign,
            "variants": variants,
            "share_total": sum(v.share for v in variants),
            "variant_form": variant_form,
            "progress": selectors.campaign_progress(campaign),
            "editable": campaign.status in services.EDITABLE,
            "merge_fields": [f"{{{{ {name}.{field} }}}}" for name, fields
                             in merge_fields().items() for field in fields],
            "history": record_history_display(campaign),
        }, status=status)


class VariantAddView(CampaignDetailView):
    """Add an A/B variant from the campaign's page."""

    permission = "marketing.change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        campaign = self.get_object()
        form = forms.VariantForm(request.POST, instance=CampaignVariant(), user=request.user)
        if form.is_valid():
            try:
                services.campaign_variant_create(actor=request.user, campaign=campaign,
                                                 data=form.data_for_service())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(reverse("marketing:campaign_detail",
                                                    kwargs={"uuid": uuid}))
        return self.render_page(campaign, form, status=400)


class CampaignActionView(RecordMixin, View):
    """Start or finish a campaign (a button on its page); a refusal is shown there."""

    model = Campaign
    permission = "marketing.send"
    http_method_names = ["post"]
    verb = "start"

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        campaign = self.get_object()
        try:
            if self.verb == "start":
                result = services.campaign_start(campaign=campaign, actor=request.user)
                messages.success(request, _(
                    "Started: %(pending)d to contact, %(control)d in the control group, "
                    "%(skipped)d not contactable.") % vars(result))
            else:
                services.campaign_finish(campaign=campaign, actor=request.user)
                messages.success(request, _("The campaign is finished."))
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(reverse("marketing:campaign_detail", kwargs={"uuid": uuid}))


class CampaignCreateView(ServiceEditView):
    model = Campaign
    form_class = forms.CampaignForm
    create_service = staticmethod(services.campaign_create)
    permission = "marketing.add"
    detail_url = "marketing:campaign_detail"
    list_url = "marketing:campaign_list"
    template_name = "marketing/record_form.html"
    title = gettext_lazy("New campaign")


class CampaignUpdateView(CampaignCreateView):
    update_service = staticmethod(services.campaign_update)
    instance_kwarg = "campaign"
    permission = "marketing.change"
    title = gettext_lazy("Edit campaign")


class CampaignDeleteView(RecordDeleteView):
    model = Campaign
    permission = "marketing.delete"
    delete_service = staticmethod(services.campaign_delete)
    instance_kwarg = "campaign"
    list_url = "marketing:campaign_list"


class VariantUpdateView(ServiceEditView):
    model = CampaignVariant
    form_class = forms.VariantForm
    update_service = staticmethod(services.campaign_variant_update)
    instance_kwarg = "variant"
    permission = "marketing.change"
    template_name = "marketing/record_form.html"
    title = gettext_lazy("Edit variant")

    def success_url(self, record: Any) -> str:
        return reverse("marketing:campaign_detail", kwargs={"uuid": record.campaign.uuid})


class VariantDeleteView(RecordDeleteView):
    model = CampaignVariant
    permission = "marketing.change"
    delete_service = staticmethod(services.campaign_variant_delete)
    instance_kwarg = "variant"

    def redirect_url(self, record: Any) -> str:
        return reverse("marketing:campaign_detail", kwargs={"uuid": record.campaign.uuid})
