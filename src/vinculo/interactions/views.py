"""Interaction pages: log a contact from any record, read one, write an e-mail; the public
web form and the inbound e-mail endpoint. Thin: forms in, services decide."""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from vinculo.core.files import serve
from vinculo.core.forms import apply_service_errors
from vinculo.core.pickers import related_ref, resolve_related
from vinculo.core.services import PermissionDeniedError
from vinculo.core.tenancy import organization_scope
from vinculo.core.views_base import Column, RecordListView, RecordMixin
from vinculo.customers import selectors as customer_selectors
from vinculo.customers.models import Account, Contact
from vinculo.interactions import mailing, merge_fields, services
from vinculo.interactions.filters import InteractionFilterSet
from vinculo.interactions.forms import EmailForm, InteractionForm, WebFormSubmissionForm
from vinculo.interactions.models import Attachment, Channel, Interaction, WebForm


class InteractionListView(RecordListView):
    model = Interaction
    permission_domain = "interactions"
    filterset_class = InteractionFilterSet
    list_name = "interactions"
    title = gettext_lazy("Interactions")
    row_template = "interactions/rows/interaction.html"
    default_sort = "-occurred_at"
    columns = (
        Column("occurred_at", gettext_lazy("Date"), "occurred_at"),
        Column("channel", gettext_lazy("Channel")),
        Column("with", gettext_lazy("With")),
        Column("subject", gettext_lazy("Subject")),
        Column("user", gettext_lazy("Handled by")),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("contact", "account", "user")


def context_records(request: Any) -> dict[str, Any]:
    """The account, contact and related record a page named in its query string."""
    user = request.user
    found: dict[str, Any] = {"account": None, "contact": None, "related": None}
    for key, model in (("account", Account), ("contact", Contact)):
        value = request.GET.get(key) or request.POST.get(key)
        if value:
            try:
                found[key] = model.objects.all().restrict(user).filter(uuid=value).first()
            except ValidationError:
                found[key] = None
    ref = request.GET.get("related") or request.POST.get("related")
    if ref:
        found["related"] = resolve_related(ref, user)
    return found


class InteractionLogView(RecordMixin, View):
    """GET: the inline form (channel preset by the button pressed); POST: log it. On a 360°
    page both are htmx requests: a click opens the form, a click saves it."""

    permission = "interactions.add"

    def form(self, request: Any, data: Any = None) -> tuple[InteractionForm, dict[str, Any]]:
        records = context_records(request)
        account = records["account"]
        contacts = None
        if account is not None and records["contact"] is None:
            contacts = [m.contact for m in account.memberships.select_related("contact")
                        .order_by("-is_primary", "contact__full_name")[:50]]
        initial = {"channel": request.GET.get("channel", Channel.PHONE),
                   "account": account.uuid if account else None,
                   "contact": records["contact"].uuid if records["contact"] else None,
                   "related": related_ref(records["related"])}
        form = InteractionForm(data, initial=initial, user=request.user, contacts=contacts)
        return form, records

    def render_form(self, request: Any, form: InteractionForm, records: dict[str, Any],
                    status: int = 200) -> HttpResponse:
        template = "interactions/_log_form.html" if request.htmx else \
            "interactions/log_page.html"
        return render(request, template, {"form": form, **records},
                      status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        form, records = self.form(request)
        return self.render_form(request, form, records)

    def post(self, request: HttpRequest) -> HttpResponse:
        form, records = self.form(request, request.POST)
        if not form.is_valid():
            return self.render_form(request, form, records, status=400)
        try:
            interaction = services.interaction_log(
                actor=request.user, data=form.data_for_service(),
                related=form.cleaned_data["related_record"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(request, form, records, status=400)
        except PermissionDeniedError as exc:
            form.add_error(None, str(exc))
            return self.render_form(request, form, records, status=403)
        if request.htmx:
            response = render(request, "interactions/_logged.html",
                              {"interaction": interaction})
            response["HX-Trigger"] = "interaction-logged"
            return response
        return HttpResponseRedirect(reverse("interactions:interaction_detail",
                                            kwargs={"uuid": interaction.uuid}))


class TimelineFragmentView(RecordMixin, View):
    """The 360° timeline alone, redrawn after an interaction is logged."""

    permission = "customers.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        from vinculo.core import timeline

        records = context_records(request)
        record = records["contact"] or records["account"]
        if record is None:
            raise Http404
        return render(request, "customers/_timeline_list.html",
                      {"timeline": timeline.for_record(record)})


class InteractionDetailView(RecordMixin, View):
    model = Interaction
    permission = "interactions.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        interaction = self.get_object()
        email = getattr(interaction, "email", None)
        thread = []
        if interaction.thread_id:
            thread = list(Interaction.objects.filter(thread_id=interaction.thread_id)
                          .select_related("user", "contact").order_by("occurred_at", "id"))
        return render(request, "interactions/interaction_detail.html", {
            "record": interaction, "email": email,
            "attachments": list(email.attachments.all()) if email else [],
            "thread": thread, "related": interaction.related,
            "history": customer_selectors.record_history_display(interaction)})


class AttachmentView(RecordMixin, View):
    """Download an attachment of an e-mail the user may see."""

    model = Attachment
    permission = "interactions.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        attachment = self.get_object()
        visible = Interaction.objects.all().restrict(request.user).filter(
            pk=attachment.message.interaction_id).exists()
        if not visible:
            raise Http404
        return serve(attachment.file, filename=attachment.filename,
                     content_type=attachment.content_type)


class EmailComposeView(RecordMixin, View):
    permission = "interactions.add"

    def render_form(self, request: Any, form: EmailForm, status: int = 200) -> HttpResponse:
        return render(request, "interactions/email_form.html",
                      {"form": form, **context_records(request)}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        records = context_records(request)
        form = EmailForm(user=request.user, initial={
            "contact": records["contact"].uuid if records["contact"] else None,
            "account": records["account"].uuid if records["account"] else None,
            "related": related_ref(records["related"]),
            "to": records["contact"].email if records["contact"] else ""})
        return self.render_form(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EmailForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(request, form, status=400)
        try:
            interaction = mailing.email_send(actor=request.user, **form.send_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(request, form, status=400)
        except PermissionDeniedError as exc:
            form.add_error(None, str(exc))
            return self.render_form(request, form, status=403)
        return HttpResponseRedirect(reverse("interactions:interaction_detail",
                                            kwargs={"uuid": interaction.uuid}))


class EmailPreviewView(RecordMixin, View):
    """htmx: the chosen template rendered for this contact, into the subject and body."""

    permission = "interactions.add"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = EmailForm(request.GET, user=request.user)
        form.is_valid()
        data = form.cleaned_data
        template = data.get("template_record")
        if template is None:
            return HttpResponse(status=204)
        objects = {"contact": data.get("contact_record"), "account": data.get("account_record"),
                   "user": request.user, "organization": request.user.organization,
                   "related": data.get("related_record")}
        return render(request, "interactions/_email_fields.html", {
            "subject": merge_fields.render_merge(template.subject, objects),
            "body": merge_fields.render_merge(template.body, objects)})


# ---- public: web forms and the inbound e-mail endpoint ----------------------------------------

FORM_SALT = "vinculo.interactions.webform"


def client_address(request: Any) -> str:
    """The visitor's address (behind the proxy named in the settings, its forwarded one)."""
    from django.conf import settings

    if getattr(settings, "USE_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


@method_decorator(xframe_options_exempt, name="dispatch")
@method_decorator(csrf_exempt, name="dispatch")
class PublicWebFormView(View):
    """A public form, embeddable in the organisation's site (an iframe).

    Not CSRF-protected: inside another site's iframe the browser does not send the CSRF
    cookie (SameSite), so every visitor would be refused; the form acts for no signed-in user,
    and the honeypot, the time trap and the rate limit keep robots out.
    """

    public = True  # anyone may reach it: the tenancy walk checks it separately
    model = WebForm

    def form_obj(self, uuid: Any) -> WebForm:
        form = WebForm.all_objects.filter(uuid=uuid, active=True).select_related(
            "organization").first()
        if form is None:
            raise Http404
        return form

    def page(self, request: Any, web_form: WebForm, form: WebFormSubmissionForm,
             status: int = 200, done: bool = False) -> HttpResponse:
        return render(request, "interactions/public_form.html", {
            "web_form": web_form, "form": form, "done": done,
            "started": signing.dumps(time.time(), salt=FORM_SALT)}, status=status)

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        return self.page(request, self.form_obj(uuid), WebFormSubmissionForm())

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        web_form = self.form_obj(uuid)
        try:
            started = signing.loads(request.POST.get("started", ""), salt=FORM_SALT,
                                    max_age=24 * 3600)
            elapsed = time.time() - float(started)
        except (signing.BadSignature, TypeError, ValueError):
            elapsed = 0.0  # no proof the form was shown: treated as a robot
        form = WebFormSubmissionForm(request.POST)
        form.is_valid()
        with organization_scope(web_form.organization_id):
            try:
                services.web_form_submit(
                    form=web_form, data=request.POST.dict(), client_address=client_address(
                        request), honeypot=request.POST.get("website", ""),
                    elapsed_seconds=elapsed, reference=request.GET.get("campaign", ""))
            except services.SpamError:
                # Robots are thanked like people, so that they learn nothing; nothing is kept.
                return self.page(request, web_form, WebFormSubmissionForm(), done=True)
            except services.RateLimitedError:
                form.add_error(None, _("You have sent this form many times in the last hour. "
                                       "Please try again later."))
                return self.page(request, web_form, form, status=429)
            except ValidationError as exc:
                apply_service_errors(form, exc)
                return self.page(request, web_form, form, status=400)
        return self.page(request, web_form, WebFormSubmissionForm(), done=True)


@method_decorator(csrf_exempt, name="dispatch")
class InboundEmailView(View):
    """``POST /inbound/email/`` with ``Authorization: Bearer <mailbox token>`` and the raw
    message (RFC 5322) as the body: for mail servers and providers that push messages."""

    def post(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        header = request.META.get("HTTP_AUTHORIZATION", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        mailbox = mailing.mailbox_for_token(token)
        if mailbox is None:
            return JsonResponse({"detail": "Unknown or missing mailbox token."}, status=401)
        limit = settings.MAIL_MAX_MESSAGE_BYTES
        upload = request.FILES.get("message")
        stream = upload if upload is not None else request
        raw = stream.read(limit + 1)
        if len(raw) > limit:  # still the sender's: refused whole, nothing kept half
            return JsonResponse({"message": [f"Larger than {limit // 2**20} MB."]}, status=413)
        if not raw:
            return JsonResponse({"message": ["Send the raw message as the request body or "
                                             "as a file field named message."]}, status=400)
        with organization_scope(mailbox.organization_id):
            received = mailing.email_receive(organization=mailbox.organization, raw=raw,
                                             mailbox=mailbox, source="http")
        record = received.message or received.rejected
        body = {"outcome": received.outcome, "id": str(record.uuid) if record else None}
        if received.rejected is not None:
            body["reason"] = received.rejected.reason
        return JsonResponse(body, status=202 if received.outcome == "stored" else 200)
