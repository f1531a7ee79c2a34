"""The administrator's settings pages for e-mail and web forms: mailboxes (with a connection
test and the inbound token), e-mail templates and public web forms. Thin: forms collect,
services decide. ``SettingsListView`` and ``SettingsEditView`` serve the service desk's
settings pages too."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.core.views_base import RecordMixin, ServiceEditView
from vinculo.interactions import mailing, merge_fields, selectors, services
from vinculo.interactions.forms_settings import EmailTemplateForm, MailboxForm, WebFormForm
from vinculo.interactions.models import EmailTemplate, Mailbox, WebForm


class SettingsListView(RecordMixin, View):
    """Every record of a small settings table, on one page."""

    template_name = ""

    def rows(self) -> Any:
        return self.model.objects.all()

    def get(self, request):  # type: ignore[no-untyped-def]
        return render(request, self.template_name, {"rows": list(self.rows())})


class SettingsEditView(ServiceEditView):
    """Create (no uuid) or edit a settings record with one service for both; the service's
    errors are shown where the form says (``form.show_service_errors``)."""

    save_service: Any = None

    def service_kwargs(self, form: Any) -> dict[str, Any]:
        """What the service takes besides ``data`` (a password, targets, routes…)."""
        return {}

    def save(self, form: Any, instance: Any) -> Any:
        return type(self).save_service(
            actor=self.request.user, data=form.data_for_service(),
            expected_version=form.cleaned_data.get("version"),
            **{self.instance_kwarg: instance if instance.pk else None},
            **self.service_kwargs(form))

    def apply_errors(self, form: Any, exc: Any) -> None:
        form.show_service_errors(exc)

    def context(self, form: Any) -> dict[str, Any]:
        """More for the page than the form and the record."""
        return {}

    def render_form(self, form: Any, status: int = 200, **extra: Any) -> HttpResponse:
        return render(self.request, self.template_name, {
            "form": form, "record": form.instance, "title": self.title,
            **self.context(form), **extra}, status=status)


# ---- mailboxes ------------------------------------------------------------------------------


class MailboxListView(SettingsListView):
    model = Mailbox
    permission = "interactions.manage"
    template_name = "interactions/settings/mailbox_list.html"


class MailboxEditView(SettingsEditView):
    model = Mailbox
    permission = "interactions.manage"
    form_class = MailboxForm
    save_service = staticmethod(mailing.mailbox_save)
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

    def post(self, request, uuid):  # type: ignore[no-untyped-def]
        mailbox = self.get_object()
        return self.render_form(self.form_class(instance=mailbox, user=request.user),
                                test=mailing.mailbox_check(actor=request.user, mailbox=mailbox))


class MailboxTokenView(MailboxEditView):
    """POST: a new secret for the HTTP inbound endpoint, shown this once (the old one stops
    working)."""

    http_method_names = ["post"]

    def post(self, request, uuid):  # type: ignore[no-untyped-def]
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
    save_service = staticmethod(mailing.email_template_save)
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
    save_service = staticmethod(services.web_form_save)
    instance_kwarg = "form"
    template_name = "interactions/settings/webform_form.html"
    detail_url = "interactions:webform_update"
    title = gettext_lazy("Web form")

    def context(self, form: Any) -> dict[str, Any]:
        if not form.instance.pk:
            return {}
        return {"public_url": selectors.web_form_public_url(form.instance),
                "embed": selectors.web_form_embed(form.instance)}
