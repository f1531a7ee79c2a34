"""REST API of the service desk: tickets and their actions, the knowledge base, metrics."""

from __future__ import annotations

from functools import partial

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.billing.models import Invoice
from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer, TenantViewSet
from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import User
from vinculo.core.services import require
from vinculo.customers.models import Account, Contact
from vinculo.sales.models import Order
from vinculo.service import selectors, services
from vinculo.service.filters import ArticleFilterSet, TicketFilterSet
from vinculo.service.models import (
    Article,
    Queue,
    Survey,
    Ticket,
    TicketCategory,
    TicketStatus,
    TicketType,
)


class SurveySerializer(serializers.ModelSerializer):
    class Meta:
        model = Survey
        fields = ("sent_at", "not_sent_reason", "csat", "nps", "comment", "answered_at")
        read_only_fields = fields


class TicketSerializer(ServiceSerializer):
    type = serializers.ChoiceField(
        choices=TicketType.choices, required=False,
        help_text="The built-in kind the ticket counts as (analytics, returns). Set by "
                  "``ticket_type``; given alone, the ticket takes the organisation's first "
                  "active type of that kind.")
    ticket_type = ScopedRelatedField(
        TicketCategory, required=False, allow_null=True,
        help_text="The organisation's ticket type (``/api/ticket-types/``); it sets ``type``.")
    queue = ScopedRelatedField(Queue, required=False)
    assignee = ScopedRelatedField(User, required=False, allow_null=True)
    account = ScopedRelatedField(Account, required=False, allow_null=True)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    order = ScopedRelatedField(Order, required=False, allow_null=True)
    invoice = ScopedRelatedField(Invoice, required=False, allow_null=True)
    sla_policy = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    survey = SurveySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Ticket
        fields = ("id", "version", "number", "type", "ticket_type", "subject", "description",
                  "queue", "priority", "status", "assignee", "account", "contact",
                  "requester_email", "order", "invoice", "channel", "tier", "sla_policy",
                  "first_response_due", "first_response_at", "first_response_state",
                  "first_response_minutes", "resolution_due", "resolved_at",
                  "resolution_state", "resolution_minutes", "escalation_level",
                  "reopened_count", "survey", "created_at", "updated_at", "closed_at")
        read_only_fields = tuple(f for f in fields if f not in services.TICKET_FIELDS
                                 and f != "version")

    create_service = staticmethod(partial(services.ticket_create, channel="api"))
    update_service = staticmethod(services.ticket_update)
    instance_kwarg = "ticket"


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    cc = serializers.ListField(child=serializers.CharField(max_length=254), required=False,
                               default=list)
    status_after = serializers.ChoiceField(
        choices=[TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.RESOLVED],
        default=TicketStatus.WAITING)


class NoteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)


class AssignSerializer(serializers.Serializer):
    assignee = ScopedRelatedField(User, allow_null=True)


class ConversationItemSerializer(serializers.Serializer):
    when = serializers.DateTimeField()
    kind = serializers.CharField()
    author = serializers.CharField()
    body = serializers.CharField()
    channel = serializers.CharField()


class MetricsRowSerializer(serializers.Serializer):
    group = serializers.CharField(allow_null=True, help_text="The queue's name, the agent's "
                                  "e-mail, the customer tier or the month (YYYY-MM); null for "
                                  "tickets without one.")
    created = serializers.IntegerField()
    backlog = serializers.IntegerField(help_text="Still open.")
    resolved = serializers.IntegerField()
    first_response_minutes = serializers.FloatField(allow_null=True,
                                                    help_text="Mean, in business minutes.")
    resolution_minutes = serializers.FloatField(allow_null=True)
    first_response_compliance = serializers.FloatField(allow_null=True, help_text="Percent.")
    resolution_compliance = serializers.FloatField(allow_null=True)
    breached_open = serializers.IntegerField()
    reopen_rate = serializers.FloatField(allow_null=True)
    csat = serializers.FloatField(allow_null=True, help_text="Mean, 1-5.")
    csat_satisfied = serializers.FloatField(allow_null=True, help_text="Percent answering 4-5.")
    nps = serializers.FloatField(allow_null=True)
    survey_answers = serializers.IntegerField()


class TicketViewSet(TenantViewSet):
    """Tickets. ``reply`` e-mails the requester, ``note`` adds an internal note, ``status``
    moves the ticket (waiting stops the SLA clock; resolved sends the survey), ``assign``,
    ``conversation`` reads everything said."""

    queryset = Ticket.objects.none()
    serializer_class = TicketSerializer
    filterset_class = TicketFilterSet
    permission_domain = "service"
    ordering_fields = ["created_at", "priority", "resolution_due", "number"]
    action_permissions = {"reply": "service.change", "note": "service.change",
                          "status": "service.change", "assign": "service.change",
                          "conversation": "service.view"}
    delete_service = staticmethod(services.ticket_delete)
    instance_kwarg = "ticket"

    def scoped_queryset(self) -> QuerySet:
        return (Ticket.objects.select_related("queue", "ticket_type", "assignee", "account",
                                              "contact", "order", "invoice", "sla_policy",
                                              "survey")
                .order_by("-created_at", "-id"))

    def _answer(self, ticket: Ticket) -> Response:
        fresh = self.scoped_queryset().get(pk=ticket.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(request=ReplySerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, uuid: str | None = None) -> Response:
        ticket = self.get_object()
        payload = ReplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.ticket_reply(actor=request.user, ticket=ticket, **payload.validated_data)
        return self._answer(ticket)

    @extend_schema(request=NoteSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request: Request, uuid: str | None = None) -> Response:
        ticket = self.get_object()
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.ticket_note(actor=request.user, ticket=ticket, body=payload.validated_data[
            "body"])
        return self._answer(ticket)

    @extend_schema(request=StatusSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, uuid: str | None = None) -> Response:
        ticket = self.get_object()
        payload = StatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.ticket_set_status(actor=request.user, ticket=ticket,
                                   status=payload.validated_data["status"])
        return self._answer(ticket)

    @extend_schema(request=AssignSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, uuid: str | None = None) -> Response:
        ticket = self.get_object()
        payload = AssignSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        services.ticket_assign(actor=request.user, ticket=ticket,
                               assignee=payload.validated_data["assignee"])
        return self._answer(ticket)

    @extend_schema(request=None, responses=ConversationItemSerializer(many=True))
    @action(detail=True, methods=["get"])
    def conversation(self, request: Request, uuid: str | None = None) -> Response:
        ticket = self.get_object()
        return Response(ConversationItemSerializer(selectors.conversation(ticket),
                                                   many=True).data)

    @extend_schema(parameters=[OpenApiParameter("by", str,
                                                enum=list(selectors.GROUPS))],
                   responses=MetricsRowSerializer(many=True))
    @action(detail=False, methods=["get"])
    def metrics(self, request: Request) -> Response:
        """Service metrics by queue, agent, customer tier or month."""
        require(request.user, "service.metrics")
        by = request.query_params.get("by", "queue")
        if by not in selectors.GROUPS:
            raise serializers.ValidationError({"by": [f"Choose one of {list(selectors.GROUPS)}."]})
        return Response(selectors.metrics(by=by))


class ArticleSerializer(ServiceSerializer):
    create_service = staticmethod(services.article_create)
    update_service = staticmethod(services.article_update)
    instance_kwarg = "article"

    class Meta:
        model = Article
        fields = ("id", "version", "title", "body", "keywords", "status", "public",
                  "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")



class ArticleViewSet(TenantViewSet):
    """The knowledge base. ``?q=`` finds articles containing every word (accents ignored)."""

    queryset = Article.objects.none()
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilterSet
    permission_domain = "kb"
    delete_service = staticmethod(services.article_delete)
    instance_kwarg = "article"
    ordering_fields = ["title", "updated_at"]

    def scoped_queryset(self) -> QuerySet:
        return Article.objects.order_by("title", "id")
