"""REST API of loyalty: programmes (CRUD, their economics), members (enrol, list, the
ledger, redeem, adjust, bonus). Thin: every write is a service; errors name the field
(``tiers[0].threshold``, ``reward``)."""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.billing.models import Invoice
from vinculo.core.api_base import (
    ScopedRelatedField,
    ServiceSerializer,
    TenantScopedMixin,
    TenantViewSet,
)
from vinculo.core.limits import REFERENCE_MAX_LENGTH
from vinculo.customers.models import Account
from vinculo.loyalty import selectors, services
from vinculo.loyalty.models import EntryKind, LedgerEntry, Member, Program
from vinculo.sales.models import Quote

RULES_SCHEMA: dict[str, Any] = {
    "type": "array", "items": {"type": "object"},
    "description": ("Earn rules. `category` {category: UUID, points_per_unit} and "
                    "`product_line` {line: UUID, points_per_unit} replace the programme's "
                    "rate for those lines; `campaign` {campaign: UUID, points} is the bonus for "
                    "members whose account converted in it; `review` and `referral` {points} "
                    "are bonuses awarded by hand. Errors are keyed `earn_rules[<i>].<part>`."),
    "example": [{"kind": "review", "points": 50}]}
TIERS_SCHEMA: dict[str, Any] = {
    "type": "array", "items": {"type": "object"},
    "description": ("Tiers {name, threshold (points or spend in the window) or, when "
                    "`tier_basis` is `value_tier`, value_tier (Platinum | Gold | Iron | Lead: "
                    "that value tier of the latest analytics snapshot or better), multiplier "
                    "≥ 1, offers (words), package (optional: a service package's UUID its "
                    "members get; losing the tier hands them back to the package rules)}."),
    "example": [{"name": "Oro", "threshold": 5000, "multiplier": 1.5,
                 "offers": "Envío gratis"}]}
REWARDS_SCHEMA: dict[str, Any] = {
    "type": "array", "items": {"type": "object"},
    "description": ("Rewards {key, name, kind: `coupon` | `quote_discount` | `free_product` "
                    "| `credit_note`, points, value (money)}; a `free_product` names its "
                    "product (UUID) and quantity."),
    "example": [{"key": "cupon-10", "name": "Cupón de 10 €", "kind": "coupon",
                 "points": 1000, "value": 10}]}


@extend_schema_field(RULES_SCHEMA)
class RulesField(serializers.JSONField):
    pass


@extend_schema_field(TIERS_SCHEMA)
class TiersField(serializers.JSONField):
    pass


@extend_schema_field(REWARDS_SCHEMA)
class RewardsField(serializers.JSONField):
    pass


class LoyaltyProgramSerializer(ServiceSerializer):
    earn_rules = RulesField(required=False)
    tiers = TiersField(required=False)
    rewards = RewardsField(required=False)

    class Meta:
        model = Program
        fields = ("id", "version", "name", "description", "active", "points_per_unit",
                  "point_value", "expiry_months", "tier_basis", "tier_window_days",
                  "earn_rules", "tiers", "rewards", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    create_service = staticmethod(services.program_create)
    update_service = staticmethod(services.program_update)
    instance_kwarg = "program"


class LoyaltyEconomicsSerializer(serializers.Serializer):
    members = serializers.IntegerField()
    issued = serializers.IntegerField(help_text="Points given: earned, bonuses, adjustments, "
                                      "net of reversals.")
    redeemed = serializers.IntegerField()
    expired = serializers.IntegerField()
    outstanding = serializers.IntegerField()
    liability = serializers.DecimalField(max_digits=16, decimal_places=2)
    breakage = serializers.FloatField(allow_null=True, help_text="Share of points that left "
                                      "the ledger by expiring rather than by redemption.")
    expected_breakage = serializers.DecimalField(max_digits=16, decimal_places=2,
                                                 allow_null=True)
    redemption_rate = serializers.FloatField(allow_null=True)
    incremental_frequency = serializers.FloatField(
        allow_null=True, help_text="Invoices per year, members − matched non-members.")
    incremental_clv = serializers.DecimalField(max_digits=16, decimal_places=2,
                                               allow_null=True)
    matched_members = serializers.IntegerField()


class ProgramViewSet(TenantViewSet):
    """Loyalty programmes: earn rules, tiers, rewards and expiry; their economics."""

    queryset = Program.objects.none()
    serializer_class = LoyaltyProgramSerializer
    permission_domain = "loyalty"
    action_permissions = {
        **{name: "loyalty.view" for name in ("list", "retrieve")},
        "economics": "analytics.view",  # organisation-wide liability and lift
        **{name: "loyalty.manage" for name in ("create", "update", "partial_update",
                                               "destroy")},
    }
    delete_service = staticmethod(services.program_delete)
    instance_kwarg = "program"

    def scoped_queryset(self) -> QuerySet:
        return Program.objects.order_by("name", "id")

    @extend_schema(responses=LoyaltyEconomicsSerializer)
    @action(detail=True, methods=["get"])
    def economics(self, request: Request, uuid: str | None = None) -> Response:
        """Liability, breakage, redemption rate, and members against matched non-members."""
        figures = selectors.economics(self.get_object())
        lift = figures.pop("lift")
        figures.pop("net_liability")
        return Response(LoyaltyEconomicsSerializer({
            **figures, "incremental_frequency": lift.get("frequency"),
            "incremental_clv": lift.get("clv"),
            "matched_members": lift.get("matched", 0)}).data)


class LedgerEntrySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    invoice = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True,
                                           help_text="The invoice that earned the points, "
                                           "or whose earning is reversed.")
    credit_note = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                               allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = ("id", "kind", "points", "occurred_on", "expires_on", "invoice",
                  "credit_note", "reward", "code", "value", "note")
        extra_kwargs = {"expires_on": {"allow_null": True}, "value": {"allow_null": True}}


class LoyaltyMemberSerializer(ServiceSerializer):
    program = ScopedRelatedField(Program)
    account = ScopedRelatedField(Account)
    balance = serializers.SerializerMethodField(help_text="Points now: the ledger's sum.")

    class Meta:
        model = Member
        fields = ("id", "version", "program", "account", "joined_on", "tier", "balance")
        read_only_fields = ("tier",)
        extra_kwargs = {"joined_on": {"required": False}}

    create_service = staticmethod(services.member_enrol)

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        return validated_data

    def get_balance(self, member: Member) -> int:
        annotated = getattr(member, "balance", None)  # lists annotate it in their one query
        return int(annotated) if annotated is not None else selectors.member_balance(member)


class LoyaltyRedeemSerializer(serializers.Serializer):
    reward = serializers.CharField(max_length=REFERENCE_MAX_LENGTH, help_text="The reward's key.")
    quote = ScopedRelatedField(Quote, required=False, allow_null=True,
                               help_text="A draft quote, for a `quote_discount` or "
                               "`free_product` reward.")
    invoice = ScopedRelatedField(Invoice, required=False, allow_null=True,
                                 help_text="The invoice a `credit_note` reward credits; "
                                 "without it, the latest with enough left to credit.")


class LoyaltyStatementQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day; default a year "
                                  "before `end`.")
    end = serializers.DateField(required=False, help_text="Last day; default today.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # DRF turns the selector's ValidationError into a 400 naming the field
        start, end = selectors.statement_period(attrs.get("start"), attrs.get("end"),
                                                today=timezone.localdate())
        return {"start": start, "end": end}


class StatementMovementSerializer(LedgerEntrySerializer):
    balance = serializers.IntegerField(help_text="The balance after this movement.")

    class Meta(LedgerEntrySerializer.Meta):
        fields = (*LedgerEntrySerializer.Meta.fields, "balance")


class ExpiringSerializer(serializers.Serializer):
    date = serializers.DateField()
    points = serializers.IntegerField()


class LoyaltyStatementSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    opening = serializers.IntegerField(help_text="The balance before `start`.")
    movements = StatementMovementSerializer(many=True, help_text="Oldest first.")
    closing = serializers.IntegerField(help_text="Opening plus the movements.")
    expiring = ExpiringSerializer(many=True, help_text="Points due to expire in the 90 "
                                  "days after `end`, as the ledger stood then.")


class LoyaltyAdjustSerializer(serializers.Serializer):
    points = serializers.IntegerField(help_text="Positive adds, negative takes away.")
    note = serializers.CharField(max_length=200)


class LoyaltyBonusSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["review", "referral"])
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class MemberViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Members of loyalty programmes (accounts); ``?program=`` narrows to one. Enrol with a
    POST; the ledger is only written by the actions."""

    queryset = Member.objects.none()
    serializer_class = LoyaltyMemberSerializer
    lookup_field = "uuid"
    permission_domain = "loyalty"
    action_permissions = {
        **{name: "loyalty.view" for name in ("list", "retrieve", "ledger", "statement")},
        **{name: "loyalty.change" for name in ("create", "redeem", "bonus")},
        "adjust": "loyalty.manage",
    }

    def scoped_queryset(self) -> QuerySet:
        members = selectors.with_balance(
            Member.objects.select_related("program", "account")).order_by("-joined_on", "id")
        program = self.request.query_params.get("program")
        if program:
            try:
                members = members.filter(program__uuid=uuid_module.UUID(program))
            except ValueError:  # a malformed UUID lists nothing
                return members.none()
        return members

    def _entry(self, entry: LedgerEntry) -> Response:
        return Response(LedgerEntrySerializer(entry).data, status=201)

    @extend_schema(responses=LedgerEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def ledger(self, request: Request, uuid: str | None = None) -> Response:
        """The member's latest 100 movements, newest first."""
        entries = selectors.history(self.get_object())
        return Response(LedgerEntrySerializer(entries, many=True).data)

    @extend_schema(parameters=[LoyaltyStatementQuerySerializer],
                   responses=LoyaltyStatementSerializer)
    @action(detail=True, methods=["get"])
    def statement(self, request: Request, uuid: str | None = None) -> Response:
        """The member's statement for ``?start=&end=`` (default the last twelve months):
        opening balance, every movement with the balance after it, closing balance, points
        expiring next. A bad date is a 400 naming it."""
        member = self.get_object()
        period = LoyaltyStatementQuerySerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        found = selectors.statement(member, **period.validated_data)
        movements = []
        for row in found["movements"]:
            row["entry"].balance = row["balance"]
            movements.append(row["entry"])
        return Response(LoyaltyStatementSerializer({**found, "movements": movements}).data)

    @extend_schema(request=LoyaltyRedeemSerializer, responses={201: LedgerEntrySerializer})
    @action(detail=True, methods=["post"])
    def redeem(self, request: Request, uuid: str | None = None) -> Response:
        """Exchange points for a reward; a short balance is a 400 naming `reward`."""
        member = self.get_object()
        payload = LoyaltyRedeemSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        return self._entry(services.points_redeem(actor=request.user, member=member,
                                                  **payload.validated_data))

    @extend_schema(request=LoyaltyAdjustSerializer, responses={201: LedgerEntrySerializer})
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, uuid: str | None = None) -> Response:
        """Add or take points by hand, with the reason."""
        member = self.get_object()
        payload = LoyaltyAdjustSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._entry(services.points_adjust(actor=request.user, member=member,
                                                  **payload.validated_data))

    @extend_schema(request=LoyaltyBonusSerializer, responses={201: LedgerEntrySerializer})
    @action(detail=True, methods=["post"])
    def bonus(self, request: Request, uuid: str | None = None) -> Response:
        """The programme's bonus for a review or a referral."""
        member = self.get_object()
        payload = LoyaltyBonusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._entry(services.points_bonus(actor=request.user, member=member,
                                                 **payload.validated_data))
