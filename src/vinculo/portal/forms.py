"""The portal's forms: sign-in, the invitation's password, a new ticket; staff's invitation.
Each only reads input; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import REFERENCE_MAX_LENGTH
from vinculo.portal.models import PortalRole

#: Long enough for any pass phrase; bounded like every text a form takes.
PASSWORD_MAX = REFERENCE_MAX_LENGTH


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(
        attrs={"autocomplete": "email", "class": "form-control", "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False, max_length=PASSWORD_MAX,
                               widget=forms.PasswordInput(attrs={
                                   "autocomplete": "current-password", "class": "form-control"}))


class LinkRequestForm(forms.Form):
    """Ask for a sign-in link by e-mail (no password)."""

    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(
        attrs={"autocomplete": "email", "class": "form-control", "autofocus": True}))


class SetPasswordForm(forms.Form):
    password = forms.CharField(label=_("Password"), strip=False, max_length=PASSWORD_MAX,
                               widget=forms.PasswordInput(attrs={
                                   "autocomplete": "new-password", "class": "form-control"}))
    password2 = forms.CharField(label=_("Password again"), strip=False, max_length=PASSWORD_MAX,
                                widget=forms.PasswordInput(
                                    attrs={"autocomplete": "new-password",
                                           "class": "form-control"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class TicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300, widget=forms.TextInput(
        attrs={"class": "form-control"}))
    description = forms.CharField(label=_("What happened?"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"class": "form-control",
                                                               "rows": 5}))


class InviteForm(forms.Form):
    """Staff's invitation on the account's page: one of the account's contacts, a role."""

    contact = forms.ChoiceField(label=_("Contact"), widget=forms.Select(
        attrs={"class": "form-select form-select-sm", "id": "portal-contact"}))
    role = forms.ChoiceField(label=_("Portal role"), choices=PortalRole.choices,
                             widget=forms.Select(attrs={"class": "form-select form-select-sm",
                                                        "id": "portal-role"}))

    def __init__(self, *args: Any, contacts: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contacts = {str(c.uuid): c for c in contacts or []}
        self.fields["contact"].choices = [
            (key, f"{c.full_name} · {c.email}" if c.email else c.full_name)
            for key, c in self.contacts.items()]
