"""``/api/organization/``: the caller's organisation's settings, read (GET) and changed
(PATCH, with the ``version`` read) by administrators, through ``organization_update``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import TenantScopedMixin
from vinculo.core.models import Organization
from vinculo.core.organization.services import ORGANIZATION_FIELDS, organization_update


class OrganizationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    version = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1,
        help_text="The version you read; a stale one is refused with 409.")
    has_logo = serializers.SerializerMethodField(
        help_text="Whether a logo is set; the pages show it, the documents print it.")
    logo = serializers.FileField(
        write_only=True, required=False,
        help_text="A new logo: PNG or JPEG, at most 1 MB (multipart/form-data).")
    remove_logo = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = Organization
        fields = ("id", "version", *ORGANIZATION_FIELDS, "has_logo", "logo", "remove_logo")
        extra_kwargs = {name: {"required": False} for name in ORGANIZATION_FIELDS}

    def get_has_logo(self, organization: Organization) -> bool:
        return bool(organization.logo)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # the service checks the values (country, currency, zone, tax id, uniqueness): one rule
        if "version" not in attrs:
            raise serializers.ValidationError(
                {"version": ["Send the version you read; it guards against lost updates."]})
        return attrs

    def get_validators(self) -> list[Any]:
        return []  # the name's uniqueness is the service's to say, with its message

    def update(self, instance: Organization, validated_data: dict[str, Any]) -> Organization:
        version = validated_data.pop("version")
        logo = validated_data.pop("logo", None)
        remove_logo = validated_data.pop("remove_logo", False)
        return organization_update(actor=self.context["request"].user, data=validated_data,
                                   expected_version=version, logo=logo,
                                   remove_logo=remove_logo)


class OrganizationViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    """The organisation's settings: one resource, at the prefix itself (no id in the path)."""

    serializer_class = OrganizationSerializer
    queryset = Organization.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    permission_domain = None
    action_permissions = {"singleton_retrieve": "core.manage_organization",
                          "singleton_update": "core.manage_organization"}

    def _organization(self) -> Organization:
        return Organization.objects.get(pk=self.request.user.organization_id)

    @extend_schema(operation_id="organization_retrieve", summary="Read the settings")
    def singleton_retrieve(self, request: Request) -> Response:
        return Response(self.get_serializer(self._organization()).data)

    @extend_schema(operation_id="organization_partial_update", summary="Change the settings")
    def singleton_update(self, request: Request) -> Response:
        serializer = self.get_serializer(self._organization(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization = serializer.save()
        return Response(self.get_serializer(organization).data)
