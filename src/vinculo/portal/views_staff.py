"""Staff's side of the portal: the panel on the account's 360° page (``core.record_panels``)
— who of the account uses the portal, their last sign-in and recent actions — with the
invitation form (``portal.invite``) and deactivation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import role_has
from vinculo.customers.models import Account, ErasureRequest
from vinculo.portal import privacy, selectors, services
from vinculo.portal.forms import InviteForm
from vinculo.portal.models import PortalUser
from vinculo.portal.views import _errors

PREFIX = "customers.account:"


class PanelView(RoleRequiredMixin, View):
    """GET draws the panel of ``?record=customers.account:<uuid>``; POST invites."""

    permission = "portal.view"

    def account(self) -> Account:
        ref = self.request.GET.get("record") or self.request.POST.get("record") or ""
        if not ref.lower().startswith(PREFIX):
            raise Http404
        try:
            account = (Account.objects.all().restrict(self.request.user)
                       .filter(uuid=ref[len(PREFIX):]).first())
        except (ValueError, ValidationError):
            account = None
        if account is None:
            raise Http404
        return account

    def render_panel(self, account: Account, form: InviteForm | None = None,
                     errors: list[str] | None = None, status: int = 200,
                     invited: PortalUser | None = None) -> HttpResponse:
        contacts = list(account.contacts.filter(active=True).order_by("full_name")[:200])
        return render(self.request, "portal/_panel.html", {
            "account": account, "ref": f"{PREFIX}{account.uuid}",
            "rows": selectors.account_portal(account),
            "can_invite": role_has(self.request.user.role, "portal.invite"),
            "form": form or InviteForm(contacts=contacts), "errors": errors or [],
            "invited": invited, "erasures": privacy.erasure_requests(account),
            "can_decide": role_has(self.request.user.role, "customers.change")},
            status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_panel(self.account())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not role_has(request.user.role, "portal.invite"):
            raise PermissionDenied
        account = self.account()
        contacts = list(account.contacts.filter(active=True).order_by("full_name")[:200])
        form = InviteForm(request.POST, contacts=contacts)
        status = 200 if request.htmx else 400  # type: ignore[attr-defined]
        if not form.is_valid():
            return self.render_panel(account, form, status=status)
        try:
            invited = services.portal_user_invite(
                actor=request.user, account=account,  # type: ignore[arg-type]
                contact=form.contacts[form.cleaned_data["contact"]],
                role=form.cleaned_data["role"])
        except ValidationError as exc:
            return self.render_panel(account, form, _errors(exc), status=status)
        return self.render_panel(account, invited=invited)


class DeactivateView(RoleRequiredMixin, View):
    permission = "portal.invite"
    model = PortalUser

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        accounts = Account.objects.all().restrict(request.user)  # type: ignore[arg-type]
        portal_user = (PortalUser.objects.filter(uuid=uuid, account__in=accounts)
                       .select_related("account").first())
        if portal_user is None:
            raise Http404
        services.portal_user_deactivate(actor=request.user,  # type: ignore[arg-type]
                                        portal_user=portal_user)
        panel = PanelView()
        panel.setup(request)
        return panel.render_panel(portal_user.account)


class ErasureDecideView(RoleRequiredMixin, View):
    """Approve (then the contact is anonymised) or refuse a contact's erasure request, from
    the portal panel of the account's page."""

    permission = "customers.change"
    model = ErasureRequest

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        accounts = Account.objects.all().restrict(request.user)  # type: ignore[arg-type]
        erasure = (ErasureRequest.objects.filter(uuid=uuid, contact__accounts__in=accounts)
                   .first())
        decision = request.POST.get("decision")
        if erasure is None:
            raise Http404
        account = accounts.filter(contacts=erasure.contact_id).first()
        panel = PanelView()
        panel.setup(request)
        if decision not in ("approve", "refuse"):
            return panel.render_panel(account, errors=[_("Choose approve or refuse.")],
                                      status=400)
        try:
            privacy.erasure_decided(actor=request.user, request=erasure,
                                    approve=decision == "approve")
        except ValidationError as exc:
            return panel.render_panel(account, errors=_errors(exc), status=400)
        return panel.render_panel(account)
