"""REST API of interactions: the timeline of every channel, and sending e-mail."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import (
    ScopedRelatedField,
    ServiceSerializer,
    TenantScopedMixin,
    TenantViewSet,
)
from vinculo.core.limits import BODY_MAX_LENGTH
from vinculo.core.models import User
from vinculo.core.pickers import related_ref, resolve_related
from vinculo.core.services import require
from vinculo.customers.models import Account, Contact
from vinculo.interactions import mailing, merge_fields, services
from vinculo.interactions.filters import InteractionFilterSet
from vinculo.interactions.models import EmailMessage, EmailTemplate, Interaction


class RelatedField(serializers.CharField):
    """A related record as ``app_label.model:uuid`` (``sales.opportunity:…``,
    ``service.ticket:…``); it must be a record the caller may see."""

    def to_representation(self, value: Any) -> str:
        return related_ref(value) if value is not None else ""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # CharField answers "" for a blank value without asking to_internal_value: a blank
        # reference names no record, and none is said with null.
        if isinstance(data, str) and not data.strip():
            raise serializers.ValidationError(
                "A record as app_label.model:uuid, or null for none.")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> Any:
        if data is None:
            return None
        record = resolve_related(str(data), self.context["request"].user)
        if record is None:
            raise serializers.ValidationError("Not found.")
        return record


class EmailDetailSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmailMessage
        fields = ("message_id", "in_reply_to", "from_address", "from_name", "to", "cc",
                  "status", "error", "sent_at", "defects", "auto_submitted", "transactional")
        read_only_fields = fields


class InteractionSerializer(ServiceSerializer):
    account = ScopedRelatedField(Account, required=False, allow_null=True)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    user = ScopedRelatedField(User, required=False, allow_null=True)
    related = RelatedField(required=False, allow_null=True, allow_blank=True)
    email = EmailDetailSerializer(read_only=True, allow_null=True,
                                  help_text="Only for e-mails.")

    class Meta:
        model = Interaction
        fields = ("id", "version", "channel", "direction", "occurred_at", "duration_seconds",
                  "subject", "notes", "outcome", "account", "contact", "user", "related",
                  "email", "created_at")
        read_only_fields = ("created_at",)

    create_service = staticmethod(services.interaction_log)
    update_service = staticmethod(services.interaction_update)
    instance_kwarg = "interaction"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None:
            for key in ("channel", "direction", "related"):
                if key in attrs:
                    raise serializers.ValidationError({key: ["Cannot be changed."]})
        return attrs

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        """What the interaction is about: set when it is logged, never changed."""
        if self.instance is not None:
            return {"data": validated_data}
        return {"data": validated_data, "related": validated_data.pop("related", None)}


class InteractionViewSet(TenantViewSet):
    """Every contact with a customer on every channel. Filter by ``account``, ``contact``,
    ``channel``, ``direction``, ``since``/``until``; ``?related=app.model:uuid`` lists those
    about one record."""

    queryset = Interaction.objects.none()
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilterSet
    permission_domain = "interactions"
    ordering_fields = ["occurred_at", "created_at"]
    delete_service = staticmethod(services.interaction_delete)
    instance_kwarg = "interaction"

    def scoped_queryset(self) -> QuerySet:
        rows = Interaction.objects.select_related("account", "contact", "user", "email",
                                                  "related_type").order_by("-occurred_at", "-id")
        ref = self.request.query_params.get("related") if self.request else None
        if ref:
            record = resolve_related(ref, self.request.user)
            if record is None:
                return rows.none()
            from vinculo.interactions.selectors import for_related

            return for_related(record)
        return rows



class EmailSendSerializer(serializers.Serializer):
    to = serializers.ListField(child=serializers.CharField(max_length=254), required=False,
                               default=list, help_text="Empty: the contact's address.")
    cc = serializers.ListField(child=serializers.CharField(max_length=254), required=False,
                               default=list)
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                    default="")
    body = serializers.CharField(max_length=BODY_MAX_LENGTH,
                                 required=False, allow_blank=True, default="")
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    account = ScopedRelatedField(Account, required=False, allow_null=True)
    template = ScopedRelatedField(EmailTemplate, required=False, allow_null=True)
    related = RelatedField(required=False, allow_null=True, allow_blank=True)


class EmailViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    """``POST /api/emails/``: write to a customer; it is sent once saved (status ``queued``
    until the SMTP server took it) and logged as an interaction."""

    queryset = Interaction.objects.none()
    serializer_class = InteractionSerializer
    permission_domain = "interactions"

    @extend_schema(request=EmailSendSerializer, responses={201: InteractionSerializer})
    def create(self, request: Request) -> Response:
        payload = EmailSendSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        for key in ("contact", "account"):
            record = data.get(key)
            if record is not None and not type(record).objects.all().restrict(
                    request.user).filter(pk=record.pk).exists():
                raise serializers.ValidationError({key: ["Not found."]})
        interaction = mailing.email_send(actor=request.user, **data)
        return Response(InteractionSerializer(interaction, context={"request": request}).data,
                        status=201)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=False, methods=["get"], url_path="merge-fields")
    def merge_fields(self, request: Request) -> Response:
        """The merge fields templates may use: ``{{ contact.first_name }}``…"""
        require(request.user, "interactions.view")
        fields = merge_fields.merge_fields()
        return Response({name: list(names) for name, names in fields.items()})
