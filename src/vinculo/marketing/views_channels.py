"""Pages of the non-e-mail channels: the campaign page's channel panel (``core.record_panels``
on ``marketing.campaign``), the letters' download, the call or visit list and its outcomes,
and the choice of a web-form campaign's form."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core.files import serve
from vinculo.core.pagination import paginate
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError
from vinculo.core.views_base import RecordMixin
from vinculo.interactions.models import WebForm
from vinculo.marketing import calls, webforms
from vinculo.marketing.models import (
    CallAssignment,
    CallOutcome,
    Campaign,
    CampaignChannel,
    CampaignLetters,
    CampaignSubmission,
)


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for ms in exc.message_dict.values() for m in ms]
    return list(exc.messages)


def _campaign_from_ref(request: HttpRequest) -> Campaign:
    ref = request.GET.get("record") or request.POST.get("record") or ""
    label, _sep, key = ref.partition(":")
    if label.lower() != "marketing.campaign":
        raise Http404
    try:
        campaign = Campaign.objects.all().restrict(request.user).filter(uuid=key).first()
    except (ValueError, ValidationError):
        campaign = None
    if campaign is None:
        raise Http404
    return campaign


def channel_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    context: dict[str, Any] = {"campaign": campaign, "ref": f"marketing.campaign:{campaign.uuid}"}
    if campaign.channel == CampaignChannel.LETTER:
        context["letters"] = CampaignLetters.objects.filter(campaign=campaign).first()
    elif campaign.channel in (CampaignChannel.PHONE, CampaignChannel.VISIT):
        rows = dict(CallAssignment.objects.filter(campaign=campaign).values_list("outcome")
                    .annotate(n=Count("id")).order_by())
        context["calls"] = {"total": sum(rows.values()), "open": rows.get("", 0),
                            "outcomes": [(label, rows.get(value, 0))
                                         for value, label in CallOutcome.choices]}
    elif campaign.channel == CampaignChannel.WEB_FORM:
        context["form_url"] = webforms.form_url(campaign)
        context["web_forms"] = (WebForm.objects.filter(active=True).order_by("name")
                                if role_has(request.user.role, "marketing.change") else [])
        context["submissions"] = CampaignSubmission.objects.filter(campaign=campaign).count()
    return context


class ChannelPanelView(RoleRequiredMixin, View):
    """The campaign page's box for its channel: the letters to print, the call list's
    progress, or the web form and its link."""

    permission = "marketing.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        campaign = _campaign_from_ref(request)
        return render(request, "marketing/_channel_panel.html",
                      channel_context(request, campaign))


class CampaignLettersView(RecordMixin, View):
    """The letters' PDF, to whoever may read the campaign (a 404 for anyone else)."""

    model = Campaign
    permission = "marketing.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        campaign = self.get_object()
        letters = CampaignLetters.objects.filter(campaign=campaign).first()
        if letters is None:
            raise Http404
        return serve(letters.file, filename=f"{slugify(campaign.name) or 'letters'}.pdf",
                     content_type="application/pdf")


class CallListView(RecordMixin, View):
    """A campaign's call or visit list: a representative sees the lines assigned to them (or
    on their accounts); open lines first, each with the outcome form."""

    model = Campaign
    permission = "marketing.calls"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        campaign = self.get_object()
        if campaign.channel not in (CampaignChannel.PHONE, CampaignChannel.VISIT):
            raise Http404
        page = paginate(calls.call_list(request.user, campaign), page=request.GET.get("page"),
                        size=request.GET.get("page_size"), default_size=50)
        return render(request, "marketing/call_list.html", {
            "campaign": campaign, "page": page, "outcomes": CallOutcome.choices,
            "visit": campaign.channel == CampaignChannel.VISIT})


class MyCallListsView(RoleRequiredMixin, View):
    """The campaigns with calls or visits waiting for me, and how many."""

    permission = "marketing.calls"

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = (CallAssignment.objects.restrict(request.user)
                .filter(assignee=request.user, outcome="")
                .values("campaign__uuid", "campaign__name", "campaign__channel")
                .annotate(open=Count("id")).order_by("campaign__name", "campaign__uuid")[:200])
        return render(request, "marketing/my_call_lists.html", {"rows": rows})


class CallOutcomeView(RecordMixin, View):
    """Log a line's outcome; back to the call list, with the error when refused."""

    model = CallAssignment
    permission = "marketing.calls"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        call = self.get_object()
        try:
            calls.call_outcome_log(actor=request.user, call=call,
                                   outcome=request.POST.get("outcome", ""),
                                   notes=request.POST.get("notes", ""))
        except ValidationError as exc:
            for message in _messages(exc):
                messages.error(request, message)
        except PermissionDeniedError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Outcome logged."))
        campaign_uuid = Campaign.objects.values_list("uuid", flat=True).get(pk=call.campaign_id)
        return HttpResponseRedirect(reverse("marketing:call_list", kwargs={"uuid": campaign_uuid}))


class CampaignWebFormView(RecordMixin, View):
    """Choose a web-form campaign's form (answers the channel panel again)."""

    model = Campaign
    permission = "marketing.change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        campaign = self.get_object()
        key = request.POST.get("web_form", "")
        form = None
        errors: list[str] = []
        if key:
            try:
                form = WebForm.objects.filter(uuid=key).first()
            except ValidationError:
                form = None
            if form is None:
                errors.append(_("Choose one of the forms listed."))
        if not errors:
            try:
                webforms.campaign_web_form_set(actor=request.user, campaign=campaign,
                                               web_form=form)
            except ValidationError as exc:
                errors = _messages(exc)
        if getattr(request, "htmx", False) or errors:
            context = channel_context(request, campaign)
            context["errors"] = errors
            return render(request, "marketing/_channel_panel.html", context,
                          status=400 if errors else 200)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = "/"
        return HttpResponseRedirect(back)
