"""``GET /api/search/?q=…``: the global search box's results, through the API."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import TenantScopedMixin
from vinculo.core.api_schema import VinculoAutoSchema
from vinculo.core.models import User
from vinculo.core.search import global_search


class SearchResultSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The record's id in its own endpoint.")
    name = serializers.CharField(help_text="The record as the search box shows it.")
    url = serializers.CharField(allow_blank=True, help_text="The record's page.")


class SearchGroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='The kind of record: "accounts", "contacts", …')
    label = serializers.CharField()
    results = SearchResultSerializer(many=True)


class SearchSerializer(serializers.Serializer):
    query = serializers.CharField(allow_blank=True)
    groups = SearchGroupSerializer(many=True,
                                   help_text="Empty when the query is; else one group per kind "
                                             "of record the caller's role may read.")


class _OneAnswerSchema(VinculoAutoSchema):
    """The search answers one object (the query and its groups), not a page of records."""

    def _is_list_view(self, serializer: object = None) -> bool:
        return False


class SearchViewSet(TenantScopedMixin, viewsets.ViewSet):
    """The global search: accounts, contacts, leads… by name, e-mail or phone, as the search
    box finds them (``core.search.global_search``), limited to what the caller may see."""

    permission_domain = None  # each group checks its own permission (its provider's)
    schema = _OneAnswerSchema()

    @extend_schema(parameters=[OpenApiParameter("q", str, description="What to look for.")],
                   responses=SearchSerializer)
    def list(self, request: Request) -> Response:
        query = request.query_params.get("q", "")
        user = request.user
        assert isinstance(user, User)
        groups = global_search(user, query)
        return Response(SearchSerializer({"query": query.strip(), "groups": [
            {"key": group.key, "label": str(group.label),
             "results": [{"id": record.uuid, "name": str(record), "url": group.url(record)}
                         for record in group.records]}
            for group in groups]}).data)
