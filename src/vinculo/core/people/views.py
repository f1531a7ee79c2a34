"""The administrator's pages for the organisation's people (users, teams) and the public page
that accepts an invitation. Thin: forms collect, ``people.services`` decide."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.core.authentication import BACKEND
from vinculo.core.models import Team, User
from vinculo.core.people import selectors, services
from vinculo.core.people.forms import AcceptInvitationForm, InviteForm, TeamForm, UserEditForm
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.services import ConflictError, PermissionDeniedError
from vinculo.core.views_settings import SettingsEditView, SettingsListView

PERMISSION = "core.manage_users"
CONFLICT = gettext_lazy("Someone else changed this record while you were editing. Reload the "
                        "page to see their change, then edit again.")


class UserListView(RoleRequiredMixin, View):
    permission = PERMISSION

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = list(selectors.users_of(request.user.organization_id).order_by(
            "-is_active", "first_name", "last_name", "email"))
        for row in rows:
            row.status = selectors.user_status(row)
            row.status_label = selectors.STATUS_LABELS[row.status]
        return render(request, "core/people/user_list.html", {"rows": rows})


class UserInviteView(RoleRequiredMixin, View):
    permission = PERMISSION

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(InviteForm(user=request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = InviteForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                user = services.user_invite(actor=request.user, data=form.data_for_service())
            except ValidationError as exc:
                form.show_service_errors(exc)
            else:
                messages.success(request, _("Invitation on its way to %(email)s.")
                                 % {"email": user.email})
                return HttpResponseRedirect(reverse("user_list"))
        return self.page(form, status=400)

    def page(self, form: InviteForm, status: int = 200) -> HttpResponse:
        return render(self.request, "core/people/user_invite.html", {
            "form": form, "days": settings.VINCULO_INVITATION_DAYS}, status=status)


class UserMixin(RoleRequiredMixin):
    model = User
    permission = PERMISSION
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_object(self) -> User:
        user = selectors.users_of(self.request.user.organization_id).filter(
            uuid=self.kwargs["uuid"]).first()
        if user is None:
            raise Http404
        user.status = selectors.user_status(user)  # type: ignore[attr-defined]
        return user


class UserEditView(UserMixin, View):
    """A user's name, role, team and language, and the actions on them (deactivate,
    reactivate, resend the invitation, force a password reset)."""

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        record = self.get_object()
        form = UserEditForm(user=request.user, initial={
            "first_name": record.first_name, "last_name": record.last_name,
            "role": record.role, "team": record.team, "language": record.language,
            "version": record.version})
        return self.page(record, form)

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        record = self.get_object()
        form = UserEditForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.page(record, form, status=400)
        try:
            services.user_update(actor=request.user, user=record,
                                 data=form.data_for_service(),
                                 expected_version=form.cleaned_data.get("version"))
        except ValidationError as exc:
            form.show_service_errors(exc)
            return self.page(record, form, status=400)
        except ConflictError:
            form.add_error(None, CONFLICT)
            return self.page(record, form, status=409)
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("user_update", kwargs={"uuid": record.uuid}))

    def page(self, record: User, form: UserEditForm, status: int = 200) -> HttpResponse:
        return render(self.request, "core/people/user_form.html", {
            "record": record, "form": form,
            "status_label": selectors.STATUS_LABELS[record.status],  # type: ignore[attr-defined]
        }, status=status)


ACTIONS = {
    "deactivate": (services.user_deactivate, gettext_lazy("%(user)s can no longer log in.")),
    "reactivate": (services.user_reactivate, gettext_lazy("%(user)s can log in again.")),
    "resend": (services.user_invitation_resend,
               gettext_lazy("A new invitation is on its way to %(user)s.")),
    "reset": (services.user_password_reset,
              gettext_lazy("%(user)s must choose a new password: the link is on its way.")),
}


class UserActionView(UserMixin, View):
    """POST one of ``ACTIONS`` on a user; a refusal is shown on the user's page."""

    http_method_names = ["post"]
    action = ""  # a key of ACTIONS, given by the URL conf

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        record = self.get_object()
        service, done = ACTIONS[self.action]
        try:
            service(actor=request.user, user=record)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except PermissionDeniedError as exc:
            raise PermissionDenied(str(exc)) from None
        else:
            messages.success(request, done % {"user": record})
        return HttpResponseRedirect(reverse("user_update", kwargs={"uuid": record.uuid}))


class TeamListView(SettingsListView):
    model = Team
    permission = PERMISSION
    template_name = "core/people/team_list.html"

    def rows(self) -> Any:
        return selectors.teams_of(self.request.user.organization_id).order_by("name")


class TeamEditView(SettingsEditView):
    model = Team
    permission = PERMISSION
    form_class = TeamForm
    create_service = staticmethod(services.team_create)
    update_service = staticmethod(services.team_update)
    instance_kwarg = "team"
    template_name = "core/people/team_form.html"
    detail_url = "team_update"
    title = gettext_lazy("Team")


class InvitationAcceptView(View):
    """The page the one-time link opens: choose a password, then you are signed in."""

    public = True  # reached by anyone holding the link; the token is the credential

    def invitation(self, token: str) -> Any:
        invitation = services.invitation_find(token)
        if invitation is None:
            return None
        return invitation

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self.invitation(token)
        if invitation is None:
            return self.expired()
        return self.page(invitation, AcceptInvitationForm(invitation.user))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self.invitation(token)
        if invitation is None:
            return self.expired()
        form = AcceptInvitationForm(invitation.user, request.POST)
        if form.is_valid():
            try:
                user = services.invitation_accept(token=token,
                                                  password=form.cleaned_data["new_password1"])
            except ValidationError as exc:
                errors = getattr(exc, "message_dict", {})
                if "token" in errors:
                    return self.expired()
                for message in errors.get("password", exc.messages):
                    form.add_error("new_password2", message)
            else:
                login(request, user, backend=BACKEND)
                messages.success(request, _("Welcome to %(organization)s.")
                                 % {"organization": user.organization})
                return HttpResponseRedirect(reverse("home"))
        return self.page(invitation, form, status=400)

    def page(self, invitation: Any, form: AcceptInvitationForm, status: int = 200) -> HttpResponse:
        return render(self.request, "core/people/invitation_accept.html", {
            "invitation": invitation, "form": form}, status=status)

    def expired(self) -> HttpResponse:
        return render(self.request, "core/people/invitation_expired.html", status=404)
