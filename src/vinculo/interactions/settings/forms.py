"""Forms of the administrator's settings pages for e-mail and web forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms_settings import SettingsForm, users_field
from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.interactions import services
from vinculo.interactions.mailing import MAILBOX_FIELDS
from vinculo.interactions.models import EmailTemplate, Mailbox, WebForm


class MailboxForm(SettingsForm):
    """The IMAP password is write-only: never rendered back; empty keeps the stored one."""

    model = Mailbox
    field_names = MAILBOX_FIELDS

    password = forms.CharField(max_length=SHORT_TEXT_MAX_LENGTH,
        label=_("IMAP password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."))

    def setup(self) -> None:
        if not self.instance.imap_password:
            self.fields["password"].help_text = _("No password is stored yet.")

    def password_for_service(self) -> str | None:
        return self.cleaned_data.get("password") or None


class EmailTemplateForm(SettingsForm):
    model = EmailTemplate
    field_names = ("name", "language", "subject", "body", "active")

    def setup(self) -> None:
        self.fields["body"].widget.attrs["rows"] = 12
        self.fields["language"].help_text = _("Empty: any language.")


class WebFormForm(SettingsForm):
    model = WebForm
    field_names = services.WEB_FORM_FIELDS

    def setup(self) -> None:
        users_field(self.fields["owner"], self.user)
        self.fields["owner"].help_text = _("Leads and tickets from this form are theirs.")
