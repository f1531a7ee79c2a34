"""REST API for accounts, contacts and leads: validate, call a service or selector, answer."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import (
    AuditEntrySerializer,
    ScopedRelatedField,
    ServiceSerializer,
    TenantViewSet,
)
from vinculo.core.filters import CustomFieldFilterBackend
from vinculo.core.history import record_history
from vinculo.core.models import Team, User
from vinculo.core.pagination import order_matches
from vinculo.customers import selectors, services
from vinculo.customers.filters import AccountFilterSet, ContactFilterSet, LeadFilterSet
from vinculo.customers.models import Account, AccountContact, Consent, Contact, Lead


class TagsField(serializers.ListField):
    child = serializers.CharField(max_length=60)

    def to_representation(self, value: Any) -> list[str]:
        return sorted(tag.name for tag in value.all())


class CustomerSerializer(ServiceSerializer):
    owner = ScopedRelatedField(User, required=False, allow_null=True)
    team = ScopedRelatedField(Team, slug_field="name", required=False, allow_null=True)
    tags = TagsField(required=False)
    custom_fields = serializers.DictField(required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


COMMON_READ_ONLY = ("id", "created_at", "updated_at")


class AccountSerializer(CustomerSerializer):
    create_service = staticmethod(services.account_create)
    update_service = staticmethod(services.account_update)
    instance_kwarg = "account"

    class Meta:
        model = Account
        fields = ("id", "version", *services.ACCOUNT_FIELDS, "tags", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY


class AccountLinkSerializer(serializers.ModelSerializer):
    account = ScopedRelatedField(Account)
    account_name = serializers.CharField(source="account.name", read_only=True)

    class Meta:
        model = AccountContact
        fields = ("account", "account_name", "role", "is_primary")


class ConsentSerializer(serializers.ModelSerializer):
    recorded_at = serializers.DateTimeField(required=False)

    class Meta:
        model = Consent
        fields = ("channel", "granted", "recorded_at", "source")


class ContactSerializer(CustomerSerializer):
    mobile = serializers.CharField(max_length=40, required=False, allow_blank=True)
    accounts = AccountLinkSerializer(source="memberships", many=True, required=False)
    consents = ConsentSerializer(
        many=True, required=False, help_text="Consent per channel; sending one records it."
    )
    full_name = serializers.CharField(read_only=True)

    create_service = staticmethod(services.contact_create)
    update_service = staticmethod(services.contact_update)
    instance_kwarg = "contact"

    class Meta:
        model = Contact
        fields = (
            "id",
            "version",
            "full_name",
            *services.CONTACT_FIELDS,
            "accounts",
            "consents",
            "tags",
            "created_at",
            "updated_at",
        )
        read_only_fields = COMMON_READ_ONLY

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        """The accounts the contact belongs to and the consents they gave go beside the
        fields."""
        return {"accounts": validated_data.pop("memberships", []),
                "consents": validated_data.pop("consents", []), "data": validated_data}


class LeadSerializer(CustomerSerializer):
    full_name = serializers.CharField(read_only=True)
    converted_account = serializers.UUIDField(
        source="converted_account.uuid", read_only=True, allow_null=True
    )
    converted_contact = serializers.UUIDField(
        source="converted_contact.uuid", read_only=True, allow_null=True
    )

    create_service = staticmethod(services.lead_create)
    update_service = staticmethod(services.lead_update)
    instance_kwarg = "lead"

    class Meta:
        model = Lead
        fields = (
            "id",
            "version",
            "full_name",
            *services.LEAD_FIELDS,
            "tags",
            "converted_account",
            "converted_contact",
            "converted_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = (*COMMON_READ_ONLY, "converted_at")


class MergeSerializer(serializers.Serializer):
    duplicate = serializers.UUIDField(help_text="The record folded into this one, then removed.")


class DuplicateSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="record.uuid")
    name = serializers.CharField(source="record.__str__")
    reasons = serializers.ListField(child=serializers.CharField())
    score = serializers.IntegerField()


FILTER_BACKENDS = [DjangoFilterBackend, OrderingFilter, CustomFieldFilterBackend]


class CustomerViewSet(TenantViewSet):
    permission_domain = "customers"
    filter_backends = FILTER_BACKENDS

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if self.request.query_params.get("q", "").strip():
            return order_matches(queryset, [str(o) for o in queryset.query.order_by])
        return queryset

    action_permissions = {"history": "customers.view"}

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, uuid: str | None = None) -> Response:
        """Who changed what on this record, newest first."""
        instance = self.get_object()
        entries = record_history(instance)
        return Response(AuditEntrySerializer(entries, many=True).data)


class MergeableViewSet(CustomerViewSet):
    action_permissions = {
        **CustomerViewSet.action_permissions,
        "merge": "customers.merge",
        "duplicates": "customers.view",
    }
    merge_service: Any = None
    duplicates_selector: Any = None

    @extend_schema(responses=DuplicateSerializer(many=True))
    @action(detail=True, methods=["get"])
    def duplicates(self, request: Request, uuid: str | None = None) -> Response:
        """Records that are probably the same customer, with the reasons."""
        candidates = type(self).duplicates_selector(self.get_object())
        return Response(DuplicateSerializer(candidates, many=True).data)

    @extend_schema(request=MergeSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, uuid: str | None = None) -> Response:
        """Fold another record into this one: its relations move here, then it is removed."""
        survivor = self.get_object()
        payload = MergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        duplicate = get_object_or_404(self.get_queryset(), uuid=payload.validated_data["duplicate"])
        merged = type(self).merge_service(
            actor=request.user, survivor=survivor, duplicate=duplicate
        )
        return Response(self.get_serializer(merged).data)


class AccountViewSet(MergeableViewSet):
    """Customer companies, or people who buy as themselves."""

    queryset = Account.objects.none()
    serializer_class = AccountSerializer
    filterset_class = AccountFilterSet
    ordering_fields = ["name", "created_at", "updated_at", "lifecycle_stage"]
    delete_service = staticmethod(services.account_delete)
    instance_kwarg = "account"
    merge_service = staticmethod(services.account_merge)
    duplicates_selector = staticmethod(selectors.account_duplicates)

    def scoped_queryset(self) -> QuerySet:
        return (
            Account.objects.select_related("owner", "team")
            .prefetch_related("tags")
            .order_by("name", "id")
        )


class ContactViewSet(MergeableViewSet):
    """People: at accounts or on their own, with channels, consent and language."""

    queryset = Contact.objects.none()
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    ordering_fields = ["full_name", "last_name", "created_at", "updated_at", "email"]
    delete_service = staticmethod(services.contact_delete)
    instance_kwarg = "contact"
    merge_service = staticmethod(services.contact_merge)
    duplicates_selector = staticmethod(selectors.contact_duplicates)

    def scoped_queryset(self) -> QuerySet:
        memberships = AccountContact.objects.select_related("account")
        return (
            Contact.objects.select_related("owner", "team")
            .prefetch_related("tags", "consents", Prefetch("memberships", queryset=memberships))
            .order_by("full_name", "id")
        )


class LeadViewSet(CustomerViewSet):
    """Prospects as they came in; convert them into an account and a contact."""

    queryset = Lead.objects.none()
    serializer_class = LeadSerializer
    filterset_class = LeadFilterSet
    ordering_fields = ["created_at", "score", "full_name", "status"]
    delete_service = staticmethod(services.lead_delete)
    instance_kwarg = "lead"
    action_permissions = {**CustomerViewSet.action_permissions, "convert": "leads.convert"}

    def scoped_queryset(self) -> QuerySet:
        return (
            Lead.objects.select_related("owner", "team", "converted_account", "converted_contact")
            .prefetch_related("tags")
            .order_by("-created_at", "-id")
        )

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "LeadConversion",
            {"account": serializers.UUIDField(), "contact": serializers.UUIDField()},
        ),
    )
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, uuid: str | None = None) -> Response:
        """Make (or match) the account and contact for this lead, in one step."""
        lead = self.get_object()
        account, contact = services.lead_convert(actor=request.user, lead=lead)
        return Response(
            {"account": account.uuid, "contact": contact.uuid}, status=status.HTTP_200_OK
        )
