"""REST API for the audit log, API tokens, custom fields and tags (users and teams:
``core.people.api``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core import services
from vinculo.core.api_base import AuditEntrySerializer, ServiceDestroyMixin, TenantScopedMixin
from vinculo.core.filters import AuditEntryFilterSet
from vinculo.core.models import ApiToken, AuditEntry, CustomField, Tag


class AuditEntryViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The organisation's change log, read-only."""

    queryset = AuditEntry.objects.none()
    serializer_class = AuditEntrySerializer
    permission_domain = "audit"
    lookup_field = "pk"
    filterset_class = AuditEntryFilterSet
    ordering_fields = ["timestamp"]

    def scoped_queryset(self) -> QuerySet:
        return AuditEntry.objects.all().order_by("-timestamp", "-id")


class ApiTokenSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    key = serializers.SerializerMethodField(help_text="Shown once, in the creation response.")

    class Meta:
        model = ApiToken
        fields = ("id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "key")
        read_only_fields = ("prefix", "created_at", "last_used_at", "revoked_at")

    def get_key(self, obj: ApiToken) -> str | None:
        return getattr(obj, "clear_key", None)


class ApiTokenViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your own API tokens: list them, create one (its key is shown once), revoke one."""

    queryset = ApiToken.objects.none()
    serializer_class = ApiTokenSerializer
    lookup_field = "uuid"
    permission_domain = None

    def scoped_queryset(self) -> QuerySet:
        return ApiToken.objects.filter(user=self.request.user)

    def perform_create(self, serializer: ApiTokenSerializer) -> None:
        token, key = services.api_token_create(
            user=self.request.user, name=serializer.validated_data.get("name", "")
        )
        token.clear_key = key
        serializer.instance = token

    @extend_schema(request=None, responses={200: OpenApiResponse(
        ApiTokenSerializer, description="Revoked: the token, with its revoked_at.")})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = services.api_token_revoke(token=self.get_object())
        return Response(self.get_serializer(token).data, status=status.HTTP_200_OK)


class CustomFieldSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=500
    )

    class Meta:
        model = CustomField
        fields = ("id", "model", "key", "label", "type", "required", "choices", "order")

    def create(self, validated_data: dict[str, Any]) -> CustomField:
        validated_data.pop("order", None)
        return services.custom_field_create(
            organization=self.context["request"].user.organization, **validated_data
        )


class CustomFieldViewSet(
    TenantScopedMixin,
    ServiceDestroyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Fields an administrator adds to accounts, contacts or leads."""

    queryset = CustomField.objects.none()
    serializer_class = CustomFieldSerializer
    lookup_field = "uuid"
    permission_domain = "core"  # every action is named below; any other is refused
    delete_service = staticmethod(services.custom_field_delete)
    instance_kwarg = "field"
    action_permissions = {
        "list": "customers.view",
        "retrieve": "customers.view",
        "create": "core.manage_custom_fields",
        "destroy": "core.manage_custom_fields",
    }

    def scoped_queryset(self) -> QuerySet:
        return CustomField.objects.all()


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ("name", "color")


class TagViewSet(TenantScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Tag.objects.none()
    serializer_class = TagSerializer
    permission_domain = "customers"

    def scoped_queryset(self) -> QuerySet:
        return Tag.objects.all()
