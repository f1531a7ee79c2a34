"""Pipeline pages: the kanban board, opportunity list and detail, forecast and funnel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.core.forms import apply_service_errors
from vinculo.core.services import ConflictError, PermissionDeniedError
from vinculo.core.views_base import Column, RecordListView, RecordMixin
from vinculo.customers import selectors as customer_selectors
from vinculo.customers.models import Account
from vinculo.sales import selectors, services
from vinculo.sales.filters import OpportunityFilterSet
from vinculo.sales.forms import OpportunityForm
from vinculo.sales.models import Opportunity, Pipeline, Stage


def _pipeline(request: Any, uuid: Any = None) -> Pipeline:
    if uuid is None:
        return services.pipeline_default(organization=request.user.organization)
    pipeline = Pipeline.objects.filter(uuid=uuid).first()
    if pipeline is None:
        raise Http404
    return pipeline


class BoardView(RecordMixin, View):
    """The kanban board of a pipeline; cards are dragged between columns (htmx)."""

    model = Pipeline
    permission = "sales.view"

    def get(self, request: HttpRequest, uuid: UUID | None = None) -> HttpResponse:
        pipeline = _pipeline(request, uuid)
        context = {
            "pipeline": pipeline, "pipelines": Pipeline.objects.all(),
            "columns": selectors.board(pipeline=pipeline, user=request.user,
                                       query=request.GET.get("q", "").strip()),
            "query": request.GET.get("q", ""),
        }
        template = "sales/_board.html" if request.htmx else "sales/board.html"
        return render(request, template, context)


class OpportunityMoveView(RecordMixin, View):
    """Drop a card on a column: move the opportunity there and answer the updated board."""

    model = Opportunity
    permission = "sales.change"

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        opportunity = self.get_object()
        stage = Stage.objects.filter(uuid=request.POST.get("stage"),
                                     pipeline_id=opportunity.pipeline_id).first()
        if stage is None:
            raise Http404
        status = 200
        try:
            services.opportunity_move(actor=request.user, opportunity=opportunity, stage=stage,
                                      lost_reason=request.POST.get("lost_reason", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        if request.htmx:
            response = render(request, "sales/_board.html", {
                "pipeline": opportunity.pipeline,
                "columns": selectors.board(pipeline=opportunity.pipeline, user=request.user)},
                status=status)
            return response
        return HttpResponseRedirect(reverse("sales:opportunity_detail", kwargs={"uuid": uuid}))


class OpportunityListView(RecordListView):
    model = Opportunity
    permission_domain = "sales"
    filterset_class = OpportunityFilterSet
    list_name = "opportunities"
    title = gettext_lazy("Opportunities")
    create_url = reverse_lazy("sales:opportunity_create")
    row_template = "sales/rows/opportunity.html"
    default_sort = "-created_at"
    columns = (
        Column("name", gettext_lazy("Name"), "name"),
        Column("account", gettext_lazy("Account")),
        Column("stage", gettext_lazy("Stage")),
        Column("amount", gettext_lazy("Amount"), "amount"),
        Column("expected_close", gettext_lazy("Expected close"), "expected_close"),
        Column("owner", gettext_lazy("Owner")),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("account", "stage", "owner")


class OpportunityDetailView(RecordMixin, View):
    model = Opportunity
    permission = "sales.view"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        opportunity = self.get_object()
        return render(request, "sales/opportunity_detail.html", {
            "record": opportunity,
            "stages": opportunity.pipeline.stages.order_by("order"),
            "time_in_stages": selectors.time_in_stages(opportunity),
            "lines": opportunity.lines.all(),
            "history": customer_selectors.record_history_display(opportunity),
            "lost_reasons": selectors.lost_reasons_offered() if opportunity.status == "open"
            else [],
        })


class OpportunityEditView(RecordMixin, View):
    model = Opportunity
    permission = "sales.change"

    def instance(self) -> Opportunity:
        if "uuid" in self.kwargs:
            return self.get_object()
        return Opportunity(organization_id=self.request.user.organization_id)

    def render_form(self, form: OpportunityForm, status: int = 200) -> HttpResponse:
        account = None
        account_id = form["account"].value()
        if account_id:
            account = Account.objects.all().restrict(self.request.user).filter(
                uuid=account_id).first()
        return render(self.request, "sales/opportunity_form.html",
                      {"form": form, "record": form.instance, "account": account},
                      status=status)

    def get(self, request: HttpRequest, uuid: UUID | None = None) -> HttpResponse:
        return self.render_form(OpportunityForm(instance=self.instance(), user=request.user,
                                                initial=request.GET.dict()))

    def post(self, request: HttpRequest, uuid: UUID | None = None) -> HttpResponse:
        instance = self.instance()
        form = OpportunityForm(request.POST, instance=instance, user=request.user)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            if instance.pk:
                record = services.opportunity_update(
                    actor=request.user, opportunity=instance, data=form.data_for_service(),
                    expected_version=form.cleaned_data.get("version"))
            else:
                record = services.opportunity_create(actor=request.user,
                                                     data=form.data_for_service())
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(form, status=400)
        except ConflictError:
            form.add_error(None, _("Someone else changed this record while you were editing. "
                                   "Reload the page to see their change, then edit again."))
            return self.render_form(form, status=409)
        except PermissionDeniedError as exc:
            form.add_error(None, str(exc))
            return self.render_form(form, status=403)
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("sales:opportunity_detail",
                                            kwargs={"uuid": record.uuid}))


class OpportunityCreateView(OpportunityEditView):
    permission = "sales.add"


class AccountPickerView(RecordMixin, View):
    """The short list under an account search box (htmx)."""

    permission = "sales.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("account_search", "").strip()
        accounts = []
        if len(query) >= 2:
            accounts = list(customer_selectors.search(  # deactivated accounts are not offered
                customer_selectors.visible(Account, request.user).filter(active=True), query)
                .order_by("name")[:10])
        return render(request, "sales/_account_options.html", {"accounts": accounts})


class ForecastView(RecordMixin, View):
    permission = "sales.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = selectors.weighted_forecast(user=request.user)
        return render(request, "sales/forecast.html", {"rows": rows})


class FunnelView(RecordMixin, View):
    permission = "sales.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        by = request.GET.get("by") if request.GET.get("by") in ("owner", "origin") else "source"
        return render(request, "sales/funnel.html", {
            "rows": selectors.conversion_funnel(user=request.user, by=by), "by": by})
