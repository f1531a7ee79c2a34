"""REST API of the next-best action: the suggestions the caller may see (a representative:
their accounts'), and accepting or dismissing one."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ScopedRelatedField, TenantScopedMixin
from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.customers.models import Contact
from vinculo.marketing.actions import rules, services
from vinculo.marketing.actions.models import Suggestion, SuggestionStatus
from vinculo.marketing.models import Campaign


class SuggestionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    contact = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    task = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    campaign = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    rule_label = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField(
        help_text="Why, in words, in the caller's language.")

    class Meta:
        model = Suggestion
        fields = ("id", "version", "account", "account_name", "contact", "rule", "rule_label",
                  "action", "reason", "as_of", "status", "task", "campaign", "decided_at",
                  "dismiss_reason", "outcome", "outcome_at", "created_at")
        read_only_fields = fields

    def get_rule_label(self, row: Suggestion) -> str:
        return rules.rule_label(row.rule)

    def get_reason(self, row: Suggestion) -> str:
        return rules.reason(row.rule, row.action, row.facts, today=timezone.localdate())


class SuggestionAcceptSerializer(serializers.Serializer):
    campaign = ScopedRelatedField(Campaign, required=False, allow_null=True,
                                  help_text="Enrol the customer in this campaign (one not yet "
                                            "finished) instead of making a task.")
    contact = ScopedRelatedField(Contact, required=False, allow_null=True,
                                 help_text="A contact of the account; default: its primary.")


class SuggestionDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=SHORT_TEXT_MAX_LENGTH,
                                   help_text="Why it is dismissed (required).")


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("status", str, enum=SuggestionStatus.values,
                     description="Only suggestions in this state (default: all)."),
    OpenApiParameter("mine", bool, description="Only those on accounts you own."),
]))
class SuggestionViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Suggested actions for key customers (``marketing/actions/rules.py`` documents the
    rules). ``accept`` makes the task (or enrols the customer in a campaign), ``dismiss``
    needs a reason."""

    queryset = Suggestion.objects.none()
    serializer_class = SuggestionSerializer
    permission_domain = "suggestions"
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    action_permissions = {"accept": "suggestions.change", "dismiss": "suggestions.change"}

    def scoped_queryset(self) -> QuerySet:
        queryset = Suggestion.objects.select_related("account", "contact", "task",
                                                     "campaign").order_by("-created_at", "-id")
        if self.action == "list":
            status = self.request.query_params.get("status")
            if status in SuggestionStatus.values:
                queryset = queryset.filter(status=status)
            if self.request.query_params.get("mine") in ("true", "1"):
                queryset = queryset.filter(account__owner=self.request.user)
        return queryset

    def _answer(self, suggestion: Suggestion) -> Response:
        suggestion = self.get_queryset().get(pk=suggestion.pk)
        return Response(SuggestionSerializer(suggestion,
                                             context=self.get_serializer_context()).data)

    @extend_schema(request=SuggestionAcceptSerializer, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, uuid: str | None = None) -> Response:
        """Accept: a task for the account's owner, or enrolment in ``campaign``."""
        suggestion = self.get_object()
        data = SuggestionAcceptSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        kwargs: dict[str, Any] = dict(data.validated_data)
        return self._answer(services.suggestion_accept(actor=request.user,
                                                       suggestion=suggestion, **kwargs))

    @extend_schema(request=SuggestionDismissSerializer, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, uuid: str | None = None) -> Response:
        """Dismiss, saying why."""
        suggestion = self.get_object()
        data = SuggestionDismissSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.suggestion_dismiss(
            actor=request.user, suggestion=suggestion, reason=data.validated_data["reason"]))
