"""REST API of contracts: the terms (CRUD through the services) and renew / cancel actions."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.catalog.models import Product
from vinculo.contracts import services
from vinculo.contracts.filters import ContractFilterSet
from vinculo.contracts.models import CancelReason, Contract
from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer, TenantViewSet
from vinculo.customers.models import Account


class ContractSerializer(ServiceSerializer):
    account = ScopedRelatedField(Account, help_text="The account (its UUID).")
    product = ScopedRelatedField(Product, required=False, allow_null=True,
                                 help_text="The product or plan (its UUID), if any.")
    renewed_by = serializers.SlugRelatedField(
        slug_field="uuid", read_only=True, allow_null=True,
        help_text="The term that renewed this one (its UUID), if any.")
    cancel_reason = serializers.CharField(
        read_only=True, help_text="Why the customer left (a reason of the cancel action, or "
        "not_renewed when it lapsed); empty while the contract runs.")
    create_service = staticmethod(services.contract_create)
    update_service = staticmethod(services.contract_update)
    instance_kwarg = "contract"

    class Meta:
        model = Contract
        fields = ("id", "version", *services.CREATE_FIELDS, "renewal_date", "status",
                  "cancel_reason", "cancel_note", "ended_on", "sequence", "renewed_by",
                  "created_at", "updated_at")
        read_only_fields = ("id", "renewal_date", "status", "cancel_reason", "cancel_note",
                            "ended_on", "sequence", "created_at", "updated_at")
        extra_kwargs = {"name": {"required": False, "allow_blank": True},
                        "currency": {"required": False, "allow_blank": True}}

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        return {"data": validated_data}


class RenewSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                     allow_null=True, help_text="Value of the new term; "
                                     "the current one when left out.")
    term_months = serializers.IntegerField(required=False, allow_null=True,
                                           help_text="Term of the new one in months.")


class CancelSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=CancelReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ContractViewSet(TenantViewSet):
    """Contract terms. Renewing makes a new term (returned); cancelling ends the contract at
    its renewal date."""

    queryset = Contract.objects.none()
    serializer_class = ContractSerializer
    filterset_class = ContractFilterSet
    permission_domain = "contracts"
    delete_service = staticmethod(services.contract_delete)
    instance_kwarg = "contract"
    action_permissions = {"renew": "contracts.change", "cancel": "contracts.change"}

    def scoped_queryset(self) -> Any:
        return Contract.objects.select_related("account", "product", "renewed_by")

    @extend_schema(request=RenewSerializer, responses={201: ContractSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, uuid: str | None = None) -> Response:
        contract = self.get_object()
        data = RenewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.contract_renew(actor=request.user, contract=contract,
                                      **data.validated_data)
        return Response(ContractSerializer(new, context={"request": request}).data,
                        status=201)

    @extend_schema(request=CancelSerializer, responses=ContractSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, uuid: str | None = None) -> Response:
        contract = self.get_object()
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.contract_cancel(actor=request.user, contract=contract,
                                        **data.validated_data)
        return Response(ContractSerializer(done, context={"request": request}).data)
