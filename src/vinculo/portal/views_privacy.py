"""Portal pages for payments and credit notes, the account's loyalty and package, and the
contact's privacy: consents, "download my data", the erasure request. Thin: ``privacy``
holds the reads and the writes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from vinculo.portal import privacy
from vinculo.portal.auth import PortalView, portal_context
from vinculo.portal.views import _errors

PAGE_ROWS = 50


class PaymentsView(PortalView):
    """Credit notes and payments of the account, read-only."""

    section = "invoices"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "portal/payments.html", {
            **portal_context(self.portal_user), "active": "payments",
            "credit_notes": privacy.credit_notes(self.portal_user)[:PAGE_ROWS],
            "payments": privacy.payments(self.portal_user)[:PAGE_ROWS]})


class MembershipView(PortalView):
    """The account's loyalty balance and tier, and its service package, where they exist."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "portal/membership.html", {
            **portal_context(self.portal_user), "active": "membership",
            "loyalty": privacy.loyalty_of(self.portal_user),
            "package": privacy.package_of(self.portal_user)})


class PrivacyView(PortalView):
    """Consents (change them), the data export and the erasure request."""

    def page(self, errors: list[str] | None = None, status: int = 200) -> HttpResponse:
        return render(self.request, "portal/privacy.html", {
            **portal_context(self.portal_user), "active": "privacy",
            "consents": privacy.consents(self.portal_user), "errors": errors or [],
            "erasure": privacy.erasure_pending(self.portal_user),
            "kept": privacy.kept_after_erasure(),
            "saved": self.request.GET.get("saved")}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            if request.POST.get("erase") == "1":
                privacy.erasure_ask(portal_user=self.portal_user)
            else:
                privacy.consent_change(portal_user=self.portal_user,
                                       channel=request.POST.get("channel", ""),
                                       granted=request.POST.get("granted", ""))
        except ValidationError as exc:
            return self.page(_errors(exc), status=400)
        return HttpResponseRedirect(reverse("portal:privacy") + "?saved=1")


class DataExportView(PortalView):
    """The contact's own data as a ZIP, only to the portal user it belongs to."""

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(privacy.personal_data_zip(self.portal_user),
                                content_type="application/zip")
        name = f"mis-datos-{timezone.localdate():%Y-%m-%d}.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
