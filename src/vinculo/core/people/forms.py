"""Forms of the user and team administration pages: they collect, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms import apply_service_errors
from vinculo.core.forms_settings import SettingsForm, users_field
from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.core.models import Team, User
from vinculo.core.people import mail
from vinculo.core.pickers import style
from vinculo.core.roles import Role


def _team_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(Team.objects.none(), required=False, label=_("Team"),
                                  to_field_name="uuid", empty_label="—")


def _language_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Language"), required=False,
                             choices=[("", _("The organisation's"))] + [
                                 (code, name) for code, name in settings.LANGUAGES],
                             help_text=_("Of the pages and the e-mails this user receives."))


class UserFormBase(forms.Form):
    """Name, role, team and language of a user."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices,
                             help_text=_("What the user may see and do."))

    def __init__(self, data: Any = None, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["team"] = _team_field()
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["language"] = _language_field()
        style(self)

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in
                ("first_name", "last_name", "role", "team", "language")}

    def show_service_errors(self, exc: Any) -> None:
        apply_service_errors(self, exc)


class InviteForm(UserFormBase):
    email = forms.EmailField(label=_("E-mail"), max_length=254,
                             help_text=_("The invitation with a one-time link goes here."))
    field_order = ["email", "first_name", "last_name", "role"]

    def __init__(self, data: Any = None, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, user=user, **kwargs)
        # The least a new user may do until the administrator picks a role: the form opened
        # on "Administrator", the first role of the list.
        self.fields["role"].initial = Role.READ_ONLY

    def data_for_service(self) -> dict[str, Any]:
        return {"email": self.cleaned_data["email"], **super().data_for_service()}


class UserEditForm(UserFormBase):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TeamForm(SettingsForm):
    """A team's name, lead and members."""

    model = Team
    field_names = ("name", "lead")

    def setup(self) -> None:
        users_field(self.fields["lead"], self.user)
        self.fields["lead"].required = False
        members = forms.ModelMultipleChoiceField(
            User.objects.none(), required=False, label=_("Members"), to_field_name="uuid",
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            help_text=_("A sales representative sees the records their team owns."))
        members.queryset = users_field_queryset(self.user)
        if self.instance.pk and "members" not in self.initial:
            self.initial["members"] = list(self.instance.members.filter(is_active=True))
        self.fields["members"] = members

    def data_for_service(self) -> dict[str, Any]:
        return {**super().data_for_service(), "members": list(self.cleaned_data["members"])}


def users_field_queryset(user: User) -> Any:
    return User.objects.filter(organization_id=user.organization_id,
                               is_active=True).order_by("first_name", "email")


class AcceptInvitationForm(SetPasswordForm):
    """The invitee chooses their password (Django's password validators apply)."""

    # Django's fields, bounded like every text a form takes (core.limits).
    new_password1 = forms.CharField(
        label=_("New password"), strip=False, max_length=SHORT_TEXT_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html())
    new_password2 = forms.CharField(
        label=_("New password confirmation"), strip=False, max_length=SHORT_TEXT_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password-reset form, its e-mail queued with retries instead of sent inline
    (where an SMTP failure was only logged while the page said it was sent)."""

    def send_mail(self, subject_template_name: str, email_template_name: str,
                  context: dict[str, Any], from_email: str | None, to_email: str,
                  html_email_template_name: str | None = None) -> None:
        mail.password_reset_email(context=context, to=to_email,
                                  subject_template=subject_template_name,
                                  body_template=email_template_name,
                                  html_template=html_email_template_name)
