"""REST API of tasks: plan, edit (with the version read), complete, cancel, delete."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer, TenantViewSet
from vinculo.core.models import User
from vinculo.customers.models import Account, Contact
from vinculo.interactions.agenda import services
from vinculo.interactions.agenda.filters import TaskFilterSet
from vinculo.interactions.api import RelatedField
from vinculo.interactions.models import Task


class VisibleRelatedField(ScopedRelatedField):
    """An account or contact the caller may see (a sales rep: theirs or their team's)."""

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().restrict(self.context["request"].user)


class TaskSerializer(ServiceSerializer):
    assignee = ScopedRelatedField(User, required=False,
                                  help_text="A user of your organisation; empty: you.")
    account = VisibleRelatedField(Account, required=False, allow_null=True)
    contact = VisibleRelatedField(Contact, required=False, allow_null=True)
    related = RelatedField(required=False, allow_null=True, allow_blank=True,
                           help_text="The record it is about, as app_label.model:uuid.")
    previous = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    recurrence = serializers.CharField(
        max_length=200, required=False, allow_blank=True,
        help_text="An RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=6; completing the task "
                  "opens the next occurrence.")

    class Meta:
        model = Task
        fields = ("id", "version", "title", "notes", "due_at", "remind_at", "reminded_at",
                  "assignee", "status", "priority", "recurrence", "account", "contact",
                  "related", "previous", "completed_at", "is_overdue", "created_at",
                  "updated_at")
        read_only_fields = ("status", "reminded_at", "completed_at", "created_at",
                            "updated_at")

    create_service = staticmethod(services.task_create)
    update_service = staticmethod(services.task_update)
    instance_kwarg = "task"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None and "related" in attrs:
            raise serializers.ValidationError({"related": ["Cannot be changed."]})
        return attrs

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        """What the task is about: set when it is planned, never changed."""
        if self.instance is not None:
            return {"data": validated_data}
        return {"data": validated_data, "related": validated_data.pop("related", None)}


class CompletedSerializer(serializers.Serializer):
    task = TaskSerializer()
    next = TaskSerializer(allow_null=True, help_text="The next occurrence of a recurring task.")


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("assignee", str, description="`me`, or a user's id."),
    OpenApiParameter("due_from", str, description="Due on or after this date (YYYY-MM-DD)."),
    OpenApiParameter("due_to", str, description="Due on or before this date (YYYY-MM-DD)."),
]))
class TaskViewSet(TenantViewSet):
    """Tasks: something to do by a date, with an optional reminder and repeat rule. A sales
    representative sees their own and their team's. Filter by ``assignee`` (``me`` or a
    user's id), ``status``, ``priority``, ``due_from``/``due_to``, ``overdue``, ``account``,
    ``contact``; ``complete`` opens the next occurrence of a recurring task."""

    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
    permission_domain = "interactions"
    ordering_fields = ["due_at", "created_at", "priority"]
    action_permissions = {"complete": "interactions.change", "cancel": "interactions.change"}
    delete_service = staticmethod(services.task_delete)
    instance_kwarg = "task"

    def scoped_queryset(self) -> QuerySet:
        return Task.objects.select_related("assignee", "account", "contact", "previous",
                                           "related_type").order_by("due_at", "id")

    @extend_schema(request=None, responses=CompletedSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, uuid: str | None = None) -> Response:
        """Mark the task done; a recurring one answers with its next occurrence too."""
        task = self.get_object()
        following = services.task_complete(actor=request.user, task=task)
        task.refresh_from_db()
        context = self.get_serializer_context()
        return Response({"task": TaskSerializer(task, context=context).data,
                         "next": TaskSerializer(following, context=context).data
                         if following is not None else None})

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, uuid: str | None = None) -> Response:
        """Cancel the task (a recurring series stops here)."""
        task = services.task_cancel(actor=request.user, task=self.get_object())
        task.refresh_from_db()
        return Response(self.get_serializer(task).data)
