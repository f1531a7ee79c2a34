"""The API of webhooks and integration keys: thin over ``services`` and ``selectors``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ServiceDestroyMixin, TenantScopedMixin
from vinculo.integrations import selectors, services
from vinculo.integrations.models import (
    DeliveryStatus,
    IntegrationKey,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


class EventNameField(serializers.ChoiceField):
    """A declared domain event (the registry is read when the API is first used)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=services.event_names(), **kwargs)


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    events = serializers.ListField(child=EventNameField(), min_length=1, max_length=200)
    secret = serializers.SerializerMethodField(
        help_text="The signing secret: shown once, when created or rotated; null otherwise.")
    version = serializers.IntegerField(
        required=False, min_value=1,
        help_text="The version you read. Required on update; a stale one is refused with 409.")

    class Meta:
        model = WebhookSubscription
        fields = ("id", "name", "url", "events", "status", "consecutive_failures",
                  "paused_at", "created_at", "version", "secret")
        read_only_fields = ("status", "consecutive_failures", "paused_at", "created_at")

    def get_secret(self, obj: WebhookSubscription) -> str | None:
        return getattr(obj, "clear_secret", None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "version" not in attrs:
            raise serializers.ValidationError(
                {"version": ["Send the version you read; it guards against lost updates."]})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> WebhookSubscription:
        validated_data.pop("version", None)
        subscription, secret = services.subscription_create(
            actor=self.context["request"].user, data=validated_data)
        subscription.clear_secret = secret
        return subscription

    def update(self, instance: WebhookSubscription, validated_data: dict[str, Any]
               ) -> WebhookSubscription:
        version = validated_data.pop("version")
        return services.subscription_update(actor=self.context["request"].user,
                                            subscription=instance, data=validated_data,
                                            expected_version=version)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ("at", "ok", "status_code", "duration_ms", "response_excerpt", "error")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    subscription = serializers.UUIDField(source="subscription.uuid", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ("id", "subscription", "event_id", "event", "status", "attempts",
                  "next_attempt_at", "delivered_at", "last_status_code", "created_at",
                  "attempt_log")


class WebhookSubscriptionViewSet(TenantScopedMixin, ServiceDestroyMixin,
                                 viewsets.ModelViewSet):
    """Webhook subscriptions of the organisation (administrators). The secret is in the
    creation and rotation answers only."""

    queryset = WebhookSubscription.objects.none()
    serializer_class = WebhookSubscriptionSerializer
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    permission_domain = "integrations"
    action_permissions = {"resume": "integrations.manage", "pause": "integrations.manage",
                          "ping": "integrations.manage", "rotate_secret": "integrations.manage"}
    delete_service = staticmethod(services.subscription_delete)
    instance_kwarg = "subscription"

    def scoped_queryset(self) -> QuerySet:
        return WebhookSubscription.objects.order_by("name", "id")

    def _answer(self, subscription: WebhookSubscription) -> Response:
        return Response(self.get_serializer(subscription).data)

    @extend_schema(request=None, responses={200: WebhookSubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, uuid: str | None = None) -> Response:
        """Send again after a pause; what waited goes out, oldest first."""
        return self._answer(services.subscription_resume(
            actor=request.user, subscription=self.get_object()))

    @extend_schema(request=None, responses={200: WebhookSubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, uuid: str | None = None) -> Response:
        """Stop sending; events are kept for the resume."""
        return self._answer(services.subscription_pause(
            actor=request.user, subscription=self.get_object()))

    @extend_schema(request=None, responses={200: WebhookSubscriptionSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, uuid: str | None = None) -> Response:
        """A new signing secret, in this answer only."""
        subscription, secret = services.subscription_rotate_secret(
            actor=request.user, subscription=self.get_object())
        subscription.clear_secret = secret
        return self._answer(subscription)

    @extend_schema(request=None, responses={202: OpenApiResponse(
        WebhookDeliverySerializer, description="The test delivery, queued.")})
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, uuid: str | None = None) -> Response:
        """Queue a ``webhook.ping`` delivery to this subscription alone."""
        row = services.subscription_ping(actor=request.user, subscription=self.get_object())
        return Response(WebhookDeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(TenantScopedMixin, mixins.ListModelMixin,
                             mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The delivery log: each event sent to a subscription and its attempts."""

    queryset = WebhookDelivery.objects.none()
    serializer_class = WebhookDeliverySerializer
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    permission_domain = "integrations"
    action_permissions = {"replay": "integrations.manage"}
    filter_backends: list[Any] = []

    def scoped_queryset(self) -> QuerySet:
        subscription = status_ = None
        if self.action == "list":
            key = self.request.query_params.get("subscription")
            if key:
                subscription = (WebhookSubscription.objects.filter(uuid=key).first()
                                if _is_uuid(key) else None) or WebhookSubscription(pk=0)
            status_ = self.request.query_params.get("status") or None
        return selectors.deliveries(subscription, status_)

    @extend_schema(parameters=[
        OpenApiParameter("subscription", str, description="A subscription's id."),
        OpenApiParameter("status", str, enum=DeliveryStatus.values)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, uuid: str | None = None) -> Response:
        """Send the delivery again (same body and event id, a fresh signature)."""
        row = services.delivery_replay(actor=request.user, delivery=self.get_object())
        return Response(self.get_serializer(row).data, status=status.HTTP_202_ACCEPTED)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class IntegrationKeySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    scopes = serializers.DictField(
        child=serializers.ChoiceField(choices=services.SCOPE_LEVELS),
        help_text="Domain → read or write: {\"customers\": \"write\", \"sales\": \"read\"}.")
    key = serializers.SerializerMethodField(help_text="Shown once, in the creation answer.")

    class Meta:
        model = IntegrationKey
        fields = ("id", "name", "prefix", "scopes", "expires_at", "last_used_at",
                  "revoked_at", "created_at", "key")
        read_only_fields = ("prefix", "last_used_at", "revoked_at", "created_at")

    def get_key(self, obj: IntegrationKey) -> str | None:
        return getattr(obj, "clear_key", None)

    def create(self, validated_data: dict[str, Any]) -> IntegrationKey:
        key, clear = services.integration_key_create(actor=self.context["request"].user,
                                                     data=validated_data)
        key.clear_key = clear
        return key


class IntegrationKeyViewSet(TenantScopedMixin, mixins.ListModelMixin,
                            mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                            mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The organisation's integration keys: create one (its key is shown once), revoke one."""

    queryset = IntegrationKey.objects.none()
    serializer_class = IntegrationKeySerializer
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    permission_domain = "integrations"
    filter_backends: list[Any] = []

    def scoped_queryset(self) -> QuerySet:
        return selectors.keys()

    @extend_schema(request=None, responses={200: OpenApiResponse(
        IntegrationKeySerializer, description="Revoked: the key, with its revoked_at.")})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = services.integration_key_revoke(actor=request.user, key=self.get_object())
        return Response(self.get_serializer(key).data, status=status.HTTP_200_OK)
