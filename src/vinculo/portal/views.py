"""The customer's pages at /portal/: sign-in, invitation, home, quotes, orders, invoices,
tickets, knowledge base. Thin: each finds the record among the portal user's own
(``selectors``: another account's is a 404) and calls a portal service."""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from vinculo.billing.models import Invoice
from vinculo.billing.pdf import invoice_pdf
from vinculo.core.files import serve_logo
from vinculo.core.tenancy import organization_scope
from vinculo.portal import auth, email_signin, selectors, services
from vinculo.portal.auth import PortalView, portal_context
from vinculo.portal.forms import LinkRequestForm, SetPasswordForm, SignInForm
from vinculo.portal.models import PortalAction
from vinculo.sales.models import Order, Quote

PAGE_ROWS = 50


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


class SignInView(View):
    """``/portal/login/``: e-mail and password of a portal user (not a staff account)."""

    public = True

    def get(self, request: HttpRequest) -> HttpResponse:
        if auth.current(request) is not None:
            return HttpResponseRedirect(reverse("portal:home"))
        return render(request, "portal/login.html", {
            "form": SignInForm(), "next": request.GET.get("next", "")})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SignInForm(request.POST)
        error = ""
        if form.is_valid():
            email = form.cleaned_data["email"]
            if auth.locked_out(request, email):
                error = _("Too many failed attempts: wait a quarter of an hour and try again.")
            else:
                portal_user = services.authenticate(email=email,
                                                    password=form.cleaned_data["password"])
                if portal_user is not None:
                    auth.succeeded(request, email)
                    auth.sign_in(request, portal_user)
                    target = request.POST.get("next") or ""
                    if not (target.startswith("/portal/") and url_has_allowed_host_and_scheme(
                            target, allowed_hosts={request.get_host()})):
                        target = reverse("portal:home")
                    return HttpResponseRedirect(target)
                auth.failed(request, email)
                error = _("That e-mail and password do not match a portal user.")
        return render(request, "portal/login.html", {
            "form": form, "error": error, "next": request.POST.get("next", "")}, status=400)


class LinkRequestView(View):
    """``/portal/login/link/``: a sign-in link by e-mail. The answer is the same page whether
    the address is a portal user's or not, and whether the rate limit held it back."""

    public = True

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "portal/link_request.html", {"form": LinkRequestForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LinkRequestForm(request.POST)
        if not form.is_valid():
            return render(request, "portal/link_request.html", {"form": form}, status=400)
        email = form.cleaned_data["email"]
        if auth.link_request_allowed(request, email):
            email_signin.link_request_enqueue(email=email)
        return render(request, "portal/link_request.html", {
            "form": form, "sent": True, "minutes": settings.VINCULO_PORTAL_LINK_MINUTES})


class LinkSignInView(View):
    """The e-mailed link: a button to sign in (a GET never uses it, so a mail scanner that
    opens links does not spend it), then the portal."""

    public = True

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        portal_user = email_signin.link_find(token)
        return render(request, "portal/link_signin.html", {
            "portal_user_of_link": portal_user,
            "organization": portal_user.organization if portal_user else None},
            status=200 if portal_user else 404)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        portal_user = email_signin.link_use(token=token)
        if portal_user is None:
            return render(request, "portal/link_signin.html", {}, status=404)
        auth.sign_in(request, portal_user)
        return HttpResponseRedirect(reverse("portal:home"))


class SignOutView(View):
    public = True

    def post(self, request: HttpRequest) -> HttpResponse:
        auth.sign_out(request)
        return HttpResponseRedirect(reverse("portal:login"))


class AcceptView(View):
    """The invitation's one-time link: the contact chooses their password."""

    public = True

    def _invitation(self, token: str) -> Any:
        return services.invitation_find(token)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self._invitation(token)
        status = 200 if invitation else 404
        return render(request, "portal/accept.html", {
            "form": SetPasswordForm(), "invitation": invitation,
            "organization": invitation.portal_user.organization if invitation else None},
            status=status)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self._invitation(token)
        form = SetPasswordForm(request.POST)
        if invitation is not None and form.is_valid():
            try:
                with organization_scope(invitation.organization_id):
                    portal_user = services.invitation_accept(
                        token=token, password=form.cleaned_data["password"])
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error("password" if field == "password" else None, messages)
            else:
                auth.sign_in(request, portal_user)
                return HttpResponseRedirect(reverse("portal:home"))
        return render(request, "portal/accept.html", {
            "form": form, "invitation": invitation,
            "organization": invitation.portal_user.organization if invitation else None},
            status=400 if invitation else 404)


class LogoView(PortalView):
    """The organisation's logo for the portal's header (its own, never another's)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return serve_logo(self.portal_user.organization.logo, inline=True)


class HomeView(PortalView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "portal/home.html", {
            **portal_context(self.portal_user),
            "figures": selectors.home(self.portal_user)})


class QuoteListView(PortalView):
    section = "quotes"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "portal/quotes.html", {
            **portal_context(self.portal_user),
            "quotes": list(selectors.quotes(self.portal_user)[:PAGE_ROWS])})


def _uuid(value: Any) -> uuid_module.UUID:
    try:
        return value if isinstance(value, uuid_module.UUID) else uuid_module.UUID(str(value))
    except ValueError:
        raise Http404 from None


class QuoteDetailView(PortalView):
    section = "quotes"
    model = Quote

    def quote(self, uuid: Any) -> Any:
        quote = selectors.quotes(self.portal_user).prefetch_related("lines").filter(
            uuid=_uuid(uuid)).first()
        if quote is None:
            raise Http404
        return quote

    def page(self, quote: Any, errors: list[str] | None = None, status: int = 200
             ) -> HttpResponse:
        return render(self.request, "portal/quote.html", {
            **portal_context(self.portal_user), "quote": quote, "errors": errors or [],
            "answerable": quote.status == "sent"}, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        return self.page(self.quote(uuid))

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        quote = self.quote(uuid)
        answer = request.POST.get("answer")
        if answer not in ("accept", "reject"):
            return self.page(quote, [_("Choose accept or reject.")], status=400)
        try:
            services.quote_answer(portal_user=self.portal_user, quote=quote,
                                  accept=answer == "accept",
                                  comment=request.POST.get("comment", ""))
        except ValidationError as exc:
            return self.page(quote, _errors(exc), status=400)
        return HttpResponseRedirect(reverse("portal:quote", kwargs={"uuid": quote.uuid}))


class OrderListView(PortalView):
    section = "orders"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "portal/orders.html", {
            **portal_context(self.portal_user),
            "orders": list(selectors.orders(self.portal_user)[:PAGE_ROWS])})


class OrderDetailView(PortalView):
    section = "orders"
    model = Order

    def order(self, uuid: Any) -> Any:
        order = selectors.order_detail(self.portal_user, _uuid(uuid))
        if order is None:
            raise Http404
        return order

    def page(self, order: Any, errors: list[str] | None = None, status: int = 200
             ) -> HttpResponse:
        return render(self.request, "portal/order.html", {
            **portal_context(self.portal_user), "order": order, "errors": errors or [],
            "lines": selectors.pending_lines(order),
            "returns": list(selectors.returns(self.portal_user).filter(order=order)),
            "can_return": "returns" in selectors.sections(self.portal_user)}, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        return self.page(self.order(uuid))

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        """A return of a delivered line (buyers): billing's returns service gives the RMA."""
        order = self.order(uuid)
        if "returns" not in selectors.sections(self.portal_user):
            raise Http404
        lines = {str(line.uuid): line for line in order.lines.all()}
        line = lines.get(request.POST.get("line", ""))
        if line is None:
            return self.page(order, [_("Choose the line to return.")], status=400)
        try:
            services.return_request(portal_user=self.portal_user, order=order, line=line,
                                    quantity=request.POST.get("quantity", ""),
                                    reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            return self.page(self.order(uuid), _errors(exc), status=400)
        return HttpResponseRedirect(reverse("portal:order", kwargs={"uuid": order.uuid}))


class InvoiceListView(PortalView):
    section = "invoices"

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = list(selectors.invoices(self.portal_user)[:PAGE_ROWS])
        for row in rows:
            row.portal_state = selectors.invoice_state(row)
        return render(request, "portal/invoices.html", {
            **portal_context(self.portal_user), "invoices": rows})


class InvoicePdfView(PortalView):
    """The invoice's PDF, found among the account's issued invoices (else 404), like staff's
    download: never a stored file's URL."""

    section = "invoices"
    model = Invoice

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        invoice = selectors.invoices(self.portal_user).filter(uuid=_uuid(uuid)).first()
        if invoice is None:
            raise Http404
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        services.activity_record(self.portal_user, PortalAction.INVOICE_DOWNLOADED,
                                 invoice.number)
        return response


class ProfileView(PortalView):
    """The contact's own details (job title, phones) and the portal's language."""

    def page(self, errors: list[str] | None = None, status: int = 200) -> HttpResponse:
        contact = self.portal_user.contact
        return render(self.request, "portal/profile.html", {
            **portal_context(self.portal_user), "contact": contact, "errors": errors or [],
            "languages": settings.LANGUAGES, "saved": self.request.GET.get("saved")},
            status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()

    def post(self, request: HttpRequest) -> HttpResponse:
        data = {key: request.POST.get(key, "") for key in
                (*services.PROFILE_FIELDS, "language")}
        try:
            services.profile_update(portal_user=self.portal_user, data=data)
        except ValidationError as exc:
            self.portal_user.contact.refresh_from_db()
            return self.page(_errors(exc), status=400)
        return HttpResponseRedirect(reverse("portal:profile") + "?saved=1")
