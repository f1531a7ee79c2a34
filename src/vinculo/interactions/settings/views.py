"""The administrator's settings pages for e-mail and web forms: mailboxes (with a connection
test and the inbound token), e-mail templates and public web forms. Thin: forms collect,
services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy

from vinculo.core.views_settings import SettingsEditView, SettingsListView
from vinculo.interactions import mailing, merge_fields, selectors, services
from vinculo.interactions.models import EmailTemplate, Mailbox, WebForm
from vinculo.interactions.settings.forms import EmailTemplateForm, MailboxForm, WebFormForm

# ---- mailboxes ------------------------------------------------------------------------------


class MailboxListView(SettingsListView):
    model = Mailbox
    permission = "interactions.manage"
    template_name = "interactions/settings/mailbox_list.html"


class MailboxEditView(SettingsEditView):
    model = Mailbox
    permission = "interactions.manage"
    form_class = MailboxForm
    create_service = staticmethod(mailing.mailbox_create)
    update_service = staticmethod(mailing.mailbox_update)
    instance_kwarg = "mailbox"
    template_name = "interactions/settings/mailbox_form.html"
    detail_url = "interactions:mailbox_update"
    title = gettext_lazy("Mailbox")

    def service_kwargs(self, form: Any) -> dict[str, Any]:
        return {"password": form.password_for_service()}

    def context(self, form: Any) -> dict[str, Any]:
        return {"inbound_url": settings.SITE_URL + reverse("inbound_email")}


class MailboxTestView(MailboxEditView):
    """POST: connect, log in and open the folder with the stored settings; the edit page
    shows what happened."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        mailbox = self.get_object()
        return self.render_form(self.form_class(instance=mailbox, user=request.user),
                                test=mailing.mailbox_check(actor=request.user, mailbox=mailbox))


class MailboxTokenView(MailboxEditView):
    """POST: a new secret for the HTTP inbound endpoint, shown this once (the old one stops
    working)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        mailbox = self.get_object()
        token = mailing.mailbox_token_rotate(actor=request.user, mailbox=mailbox)
        mailbox.refresh_from_db()
        return self.render_form(self.form_class(instance=mailbox, user=request.user),
                                new_token=token)


# ---- e-mail templates -----------------------------------------------------------------------


class EmailTemplateListView(SettingsListView):
    model = EmailTemplate
    permission = "interactions.manage"
    template_name = "interactions/settings/template_list.html"


class EmailTemplateEditView(SettingsEditView):
    model = EmailTemplate
    permission = "interactions.manage"
    form_class = EmailTemplateForm
    create_service = staticmethod(mailing.email_template_create)
    update_service = staticmethod(mailing.email_template_update)
    instance_kwarg = "template"
    template_name = "interactions/settings/template_form.html"
    detail_url = "interactions:template_update"
    title = gettext_lazy("E-mail template")

    def context(self, form: Any) -> dict[str, Any]:
        return {"merge_fields": [(name, [f"{name}.{field}" for field in fields])
                                 for name, fields in merge_fields.merge_fields().items()]}


# ---- web forms ------------------------------------------------------------------------------


class WebFormListView(SettingsListView):
    model = WebForm
    permission = "interactions.manage"
    template_name = "interactions/settings/webform_list.html"

    def rows(self) -> Any:
        return [(form, selectors.web_form_public_url(form))
                for form in WebForm.objects.select_related("owner")]


class WebFormEditView(SettingsEditView):
    model = WebForm
    permission = "interactions.manage"
    form_class = WebFormForm
    create_service = staticmethod(services.web_form_create)
    update_service = staticmethod(services.web_form_update)
    instance_kwarg = "form"
    template_name = "interactions/settings/webform_form.html"
    detail_url = "interactions:webform_update"
    title = gettext_lazy("Web form")

    def context(self, form: Any) -> dict[str, Any]:
        if not form.instance.pk:
            return {}
        return {"public_url": selectors.web_form_public_url(form.instance),
                "embed": selectors.web_form_embed(form.instance)}
