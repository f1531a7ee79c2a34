"""REST API of the e-mail and web-form settings: mailboxes (with a connection test and the
inbound token), e-mail templates and public web forms.

Writes are for administrators (``interactions.manage``). E-mail templates are readable by
everyone who may read interactions (they pick one when writing); mailboxes and web forms
only by administrators. The IMAP password is write-only: no response carries it, in clear
or encrypted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer, TenantViewSet
from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.core.models import User
from vinculo.interactions import mailing, selectors, services
from vinculo.interactions.models import EmailTemplate, Mailbox, WebForm

MANAGE = "interactions.manage"
NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


class MailboxSerializer(ServiceSerializer):
    password = serializers.CharField(
        max_length=SHORT_TEXT_MAX_LENGTH, write_only=True, required=False, allow_blank=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The IMAP password, write-only: omit it to keep the stored one, send an "
                  "empty string to remove it. It is stored encrypted.")
    has_password = serializers.SerializerMethodField()
    has_inbound_token = serializers.SerializerMethodField()

    create_service = staticmethod(mailing.mailbox_create)
    update_service = staticmethod(mailing.mailbox_update)
    instance_kwarg = "mailbox"

    class Meta:
        model = Mailbox
        fields = ("id", "version", "name", "address", "imap_host", "imap_port", "imap_ssl",
                  "imap_username", "password", "has_password", "imap_folder",
                  "processed_folder", "active", "has_inbound_token", "last_polled_at",
                  "last_error", "created_at", "updated_at")
        read_only_fields = ("last_polled_at", "last_error", "created_at", "updated_at")

    def get_has_password(self, mailbox: Mailbox) -> bool:
        return bool(mailbox.imap_password)

    def get_has_inbound_token(self, mailbox: Mailbox) -> bool:
        return bool(mailbox.inbound_token_hash)

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        return {"data": validated_data, "password": validated_data.pop("password", None)}


class ConnectionCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    code = serializers.CharField(help_text="unreachable, tls, auth, folder, protocol, "
                                           "settings or secret; empty when ok")
    problem = serializers.CharField(help_text="What failed, for people (translated).")
    detail = serializers.CharField(help_text="The server's or library's own words.")


class MailboxViewSet(TenantViewSet):
    """An organisation's mailboxes (administrators). ``test-connection`` connects, logs in
    and opens the folder with the stored settings; ``token`` returns a new secret for
    ``POST /inbound/email/`` (``Authorization: Bearer <token>``), shown once."""

    queryset = Mailbox.objects.none()
    serializer_class = MailboxSerializer
    http_method_names = NO_DELETE
    permission_domain = "interactions"
    action_permissions = {name: MANAGE for name in (
        "list", "retrieve", "create", "update", "partial_update", "test_connection", "token")}

    def scoped_queryset(self) -> QuerySet:
        return Mailbox.objects.order_by("name", "id")

    @extend_schema(request=None, responses=ConnectionCheckSerializer)
    @action(detail=True, methods=["post"], url_path="test-connection")
    def test_connection(self, request: Request, uuid: str | None = None) -> Response:
        check = mailing.mailbox_check(actor=request.user, mailbox=self.get_object())
        return Response(ConnectionCheckSerializer(check).data)

    @extend_schema(request=None, responses={201: inline_serializer(
        "InboundToken", {"token": serializers.CharField(), "endpoint": serializers.URLField()})})
    @action(detail=True, methods=["post"])
    def token(self, request: Request, uuid: str | None = None) -> Response:
        token = mailing.mailbox_token_rotate(actor=request.user, mailbox=self.get_object())
        return Response({"token": token,
                         "endpoint": settings.SITE_URL + reverse("inbound_email")}, status=201)


class EmailTemplateSerializer(ServiceSerializer):
    create_service = staticmethod(mailing.email_template_create)
    update_service = staticmethod(mailing.email_template_update)
    instance_kwarg = "template"

    class Meta:
        model = EmailTemplate
        fields = ("id", "version", "name", "language", "subject", "body", "active",
                  "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")



class EmailTemplateViewSet(TenantViewSet):
    """E-mail templates with merge fields (``GET /api/emails/merge-fields/`` lists them);
    a template naming an unknown field, or one that does not parse, is refused."""

    queryset = EmailTemplate.objects.none()
    serializer_class = EmailTemplateSerializer
    http_method_names = NO_DELETE
    permission_domain = "interactions"
    action_permissions = {"create": MANAGE, "update": MANAGE, "partial_update": MANAGE}

    def scoped_queryset(self) -> QuerySet:
        return EmailTemplate.objects.order_by("name", "language", "id")


class WebFormSerializer(ServiceSerializer):
    owner = ScopedRelatedField(User)
    public_url = serializers.SerializerMethodField()
    embed = serializers.SerializerMethodField(
        help_text="HTML to paste into a page of the organisation's site.")

    create_service = staticmethod(services.web_form_create)
    update_service = staticmethod(services.web_form_update)
    instance_kwarg = "form"

    class Meta:
        model = WebForm
        fields = ("id", "version", "name", "kind", "owner", "active", "thank_you",
                  "max_per_hour", "public_url", "embed", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    def get_public_url(self, form: WebForm) -> str:
        return selectors.web_form_public_url(form)

    def get_embed(self, form: WebForm) -> str:
        return selectors.web_form_embed(form)


class WebFormViewSet(TenantViewSet):
    """Public web forms (administrators): each answers at its ``public_url``, embeddable in
    an iframe; a contact form creates a lead, a request or complaint form a ticket."""

    queryset = WebForm.objects.none()
    serializer_class = WebFormSerializer
    http_method_names = NO_DELETE
    permission_domain = "interactions"
    action_permissions = {name: MANAGE for name in (
        "list", "retrieve", "create", "update", "partial_update")}

    def scoped_queryset(self) -> QuerySet:
        return WebForm.objects.select_related("owner").order_by("name", "id")
