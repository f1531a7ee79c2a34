"""Base API classes: scope the organisation after DRF authenticated the caller."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request

from vinculo.core import history
from vinculo.core.audit import acting_as
from vinculo.core.deletion import REFUSALS, in_use_error
from vinculo.core.models import AuditEntry
from vinculo.core.tenancy import organization_scope


class Undeclared:
    """The permission domain of a viewset that did not state one (refused at start-up)."""

    def __repr__(self) -> str:
        return "UNDECLARED"


UNDECLARED: Any = Undeclared()


class TenantScopedMixin:
    """Token-authenticated calls only know their user inside DRF, so the scope starts here.

    Every viewset states ``permission_domain`` (``"sales"`` → ``sales.view`` for reads,
    ``sales.add``… for writes) or ``None`` for endpoints that any signed-in staff user may use
    on their own data (API tokens); ``api_urls`` refuses a routed viewset that states neither.
    """

    permission_domain: str | Undeclared | None = UNDECLARED

    def get_queryset(self) -> QuerySet:
        """The caller's rows: the organisation (scope), then the record-level rule of the
        model (``TenantQuerySet.restrict``), for every viewset, so that no endpoint can forget
        it (documents follow their account's rule this way)."""
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no scope
            return self.queryset.model.objects.none()
        queryset = self.scoped_queryset()
        restrict = getattr(queryset, "restrict", None)
        return restrict(self.request.user) if restrict is not None else queryset

    def scoped_queryset(self) -> QuerySet:
        """The rows of the caller's organisation, before the record-level rule."""
        return self.queryset.model.objects.all()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self._scope_stack = ExitStack()
        super().initial(request, *args, **kwargs)  # authentication + permission checks
        user = request.user
        if user.is_authenticated and user.organization_id is not None:
            self._scope_stack.enter_context(organization_scope(user.organization_id))
            self._scope_stack.enter_context(
                acting_as(user, getattr(request._request, "request_id", None))
            )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The scope opened in initial() closes whatever happens: an error DRF does not turn
        # into a response propagates past finalize_response, and must not leave the
        # organisation (and the audit actor) in scope for whatever this thread runs next.
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            stack = getattr(self, "_scope_stack", None)
            if stack is not None:
                stack.close()


class ServiceDestroyMixin:
    """A deletion calls ``delete_service(actor=…, <instance_kwarg>=record)``; a viewset without
    ``delete_service`` cannot delete (405). While other records point to the record, the
    answer is 409 naming them (``core.deletion.InUseError``, the ``InUse`` body)."""

    delete_service: Any = None
    instance_kwarg = ""
    request: Request

    def perform_destroy(self, instance: Any) -> None:
        if type(self).delete_service is None:
            raise exceptions.MethodNotAllowed(self.request.method or "DELETE")
        try:
            type(self).delete_service(actor=self.request.user,
                                      **{self.instance_kwarg: instance})
        except REFUSALS as exc:
            raise in_use_error(instance, exc) from None


class TenantViewSet(TenantScopedMixin, ServiceDestroyMixin, viewsets.ModelViewSet):
    """CRUD over a tenant model: UUID lookups, record-level restriction, audit by signals.

    Writes go through services: the serializer (a :class:`ServiceSerializer`) calls the
    ``*_create`` / ``*_update`` service, and a deletion calls ``delete_service(actor=…,
    <instance_kwarg>=record)``. A viewset without ``delete_service`` cannot delete.
    """

    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"


class ServiceSerializer(serializers.ModelSerializer):
    """A record's serializer that writes through its services, never by itself.

    ``create`` calls ``create_service(actor=…, **service_kwargs(...))`` and ``update`` calls
    ``update_service(actor=…, expected_version=…, <instance_kwarg>=record,
    **service_kwargs(...))``, where ``service_kwargs`` is ``data=`` the validated fields unless
    a serializer says more (a password, lines, targets). The ``version`` read is required on
    update; a stale one is refused by the service (409).
    """

    id = serializers.UUIDField(source="uuid", read_only=True)
    version = serializers.IntegerField(
        required=False, min_value=1,
        help_text="The version you read. Required on update; a stale one is refused with 409.",
    )

    create_service: Any = None
    update_service: Any = None
    instance_kwarg = ""
    output_serializer: Any = None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "version" not in attrs:
            raise serializers.ValidationError(
                {"version": ["Send the version you read; it guards against lost updates."]})
        return attrs

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        """What the service takes besides ``actor`` (and, on update, the record and version):
        by default ``data=`` the validated fields."""
        return {"data": validated_data}

    def create(self, validated_data: dict[str, Any]) -> Any:
        validated_data.pop("version", None)
        return type(self).create_service(actor=self.context["request"].user,
                                         **self.service_kwargs(validated_data))

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        version = validated_data.pop("version")
        return type(self).update_service(
            actor=self.context["request"].user, expected_version=version,
            **self.service_kwargs(validated_data), **{self.instance_kwarg: instance})

    def to_representation(self, instance: Any) -> Any:
        """The answer: ``output_serializer`` when the input and output shapes differ."""
        if self.output_serializer is not None:
            return self.output_serializer(instance, context=self.context).data
        return super().to_representation(instance)


class ScopedRelatedField(serializers.SlugRelatedField):
    """A reference to a row the caller may see: their organisation's, within the record-level
    rule of their role (others look nonexistent, as in the pages' pickers)."""

    def __init__(self, model: type | str, slug_field: str = "uuid", **kwargs: Any) -> None:
        self.model = model  # a model, or its label ("catalog.Product") above ``core``
        super().__init__(slug_field=slug_field, **kwargs)

    def get_queryset(self) -> QuerySet:
        from vinculo.core.models import User

        model: Any = apps.get_model(self.model) if isinstance(self.model, str) else self.model
        user = self.context["request"].user
        if model is User:
            return User.objects.filter(organization_id=user.organization_id)
        queryset = model.objects.all()  # the tenant-scoped manager
        restrict = getattr(queryset, "restrict", None)  # and the record-level rule
        return restrict(user) if restrict is not None else queryset


class SlugRelatedFieldSchema(OpenApiSerializerFieldExtension):
    """References by UUID are UUIDs in the OpenAPI schema, also where no model says so."""

    target_class = serializers.SlugRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, str]:
        if self.target.slug_field == "uuid":
            return {"type": "string", "format": "uuid"}
        return {"type": "string"}


class ReadableChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name, as in ``changes``.")
    label = serializers.CharField(help_text="The field's label in the caller's language.")
    before = serializers.CharField(help_text="The value before, formatted for people.")
    after = serializers.CharField(help_text="The value after, formatted for people.")


class AuditEntrySerializer(serializers.ModelSerializer):
    """A change-log row: the organisation's log and each record's history use it.

    ``changes`` keeps the raw values (for machines); ``readable_changes`` says the same for
    people, with the formatter the history pages use (``core.history``)."""

    actor = serializers.CharField(source="actor_label")
    object_id = serializers.UUIDField(source="object_uuid", read_only=True, allow_null=True)
    object_label = serializers.SerializerMethodField(
        help_text="The kind of record in the caller's language.")
    readable_changes = serializers.SerializerMethodField()

    def get_object_label(self, entry: AuditEntry) -> str:
        return history.model_label(entry.object_type)

    @extend_schema_field(ReadableChangeSerializer(many=True))
    def get_readable_changes(self, entry: AuditEntry) -> list[dict[str, str]]:
        references = self.context.setdefault("history_references", history.References())
        return [vars(change) for change in history.describe_changes(entry,
                                                                     references=references)]

    class Meta:
        model = AuditEntry
        fields = (
            "timestamp",
            "actor",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "object_label",
            "changes",
            "readable_changes",
            "request_id",
        )
