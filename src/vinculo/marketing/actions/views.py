"""Pages of the next-best action: my suggested actions, accept (a task or a campaign) and
dismiss (with a reason), the 360° panel on the account page, and each rule's hit rate."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core.pagination import paginate
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.services import PermissionDeniedError
from vinculo.core.views_base import RecordMixin
from vinculo.customers.models import Account, AccountContact
from vinculo.marketing.actions import rules, selectors, services
from vinculo.marketing.actions.models import Suggestion
from vinculo.marketing.actions.services import ENROLLING
from vinculo.marketing.models import Campaign


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "message_dict"):
        return dict(exc.message_dict)
    return {"__all__": list(exc.messages)}


def rows_with_reasons(rows: Any) -> list[tuple[Suggestion, str]]:
    today = timezone.localdate()
    return [(row, rules.reason(row.rule, row.action, row.facts, today=today)) for row in rows]


def _back(request: HttpRequest) -> str:
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return reverse("marketing:suggestion_list")


class SuggestionListView(RoleRequiredMixin, View):
    """"My suggested actions": the open suggestions on the accounts I own."""

    permission = "suggestions.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        page = paginate(selectors.for_owner(request.user), page=request.GET.get("page"),
                        size=request.GET.get("page_size"))
        return render(request, "marketing/suggestion_list.html", {
            "page": page, "rows": rows_with_reasons(page.items)})


class SuggestionRulesView(RoleRequiredMixin, View):
    """Each rule, what it says, and how often acting on it was followed by an order."""

    permission = "suggestions.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "marketing/suggestion_rules.html", {
            "rules": selectors.hit_rates(), "hit_days": rules.HIT_DAYS})


class SuggestionPanelView(RoleRequiredMixin, View):
    """The 360° account page's box (``core.record_panels``): what to do for this customer."""

    permission = "suggestions.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        label, _sep, key = (request.GET.get("record") or "").partition(":")
        if label.lower() != "customers.account":
            raise Http404
        try:
            account = Account.objects.all().restrict(request.user).filter(uuid=key).first()
        except (ValueError, ValidationError):
            account = None
        if account is None:
            raise Http404
        rows = selectors.for_account(request.user, account.pk)[:10]
        return render(request, "marketing/_suggestion_panel.html", {
            "account": account, "rows": rows_with_reasons(rows),
            "next": reverse("customers:account_detail", kwargs={"uuid": account.uuid})})


class SuggestionAcceptView(RecordMixin, View):
    """Accept: a task for the owner, or the customer enrolled in a campaign."""

    model = Suggestion
    permission = "suggestions.change"

    def context(self, suggestion: Suggestion, errors: dict[str, list[str]] | None = None
                ) -> dict[str, Any]:
        return {
            "suggestion": suggestion,
            "reason": rows_with_reasons([suggestion])[0][1],
            "campaigns": Campaign.objects.filter(status__in=ENROLLING).order_by("name")[:200],
            "contacts": [m.contact for m in AccountContact.objects.filter(
                account_id=suggestion.account_id, contact__active=True)
                .select_related("contact").order_by("-is_primary", "id")[:50]],
            "errors": errors or {}, "next": _back(self.request)}

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        return render(request, "marketing/suggestion_accept.html",
                      self.context(self.get_object()))

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        suggestion = self.get_object()
        errors: dict[str, list[str]] = {}
        campaign = contact = None
        try:
            if request.POST.get("campaign"):
                campaign = Campaign.objects.filter(uuid=request.POST["campaign"]).first()
                if campaign is None:
                    errors["campaign"] = [_("Choose one of the campaigns listed.")]
            if request.POST.get("contact"):
                contact_row = AccountContact.objects.filter(
                    account_id=suggestion.account_id,
                    contact__uuid=request.POST["contact"]).select_related("contact").first()
                if contact_row is None:
                    errors["contact"] = [_("Choose a contact of the account.")]
                else:
                    contact = contact_row.contact
        except ValidationError:
            errors["__all__"] = [_("Choose from the lists.")]
        if not errors:
            try:
                services.suggestion_accept(actor=request.user, suggestion=suggestion,
                                           campaign=campaign, contact=contact)
                return HttpResponseRedirect(_back(request))
            except ValidationError as exc:
                errors = _messages(exc)
            except PermissionDeniedError as exc:
                errors = {"__all__": [str(exc)]}
        return render(request, "marketing/suggestion_accept.html",
                      self.context(suggestion, errors), status=400)


class SuggestionDismissView(RecordMixin, View):
    """Dismiss, saying why."""

    model = Suggestion
    permission = "suggestions.change"

    def context(self, suggestion: Suggestion, errors: dict[str, list[str]] | None = None,
                reason: str = "") -> dict[str, Any]:
        return {"suggestion": suggestion, "reason": rows_with_reasons([suggestion])[0][1],
                "errors": errors or {}, "typed": reason, "next": _back(self.request)}

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        return render(request, "marketing/suggestion_dismiss.html",
                      self.context(self.get_object()))

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        suggestion = self.get_object()
        reason = request.POST.get("reason", "")
        try:
            services.suggestion_dismiss(actor=request.user, suggestion=suggestion,
                                        reason=reason)
        except ValidationError as exc:
            return render(request, "marketing/suggestion_dismiss.html",
                          self.context(suggestion, _messages(exc), reason), status=400)
        except PermissionDeniedError as exc:
            return render(request, "marketing/suggestion_dismiss.html",
                          self.context(suggestion, {"__all__": [str(exc)]}, reason), status=403)
        return HttpResponseRedirect(_back(request))


