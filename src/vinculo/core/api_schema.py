"""The OpenAPI description tells what the API really answers, errors included.

``VinculoAutoSchema`` is ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``; on top of drf-spectacular's
defaults it

- paginates only what is paginated: the ``list`` of a viewset that lists through DRF's
  ``ListModelMixin``. Other actions that answer several rows (``history``, ``duplicates``,
  ``conversation``…) answer a bare array and take neither the list's filters nor its
  ``page``/``page_size``;
- documents the error answers every operation can give, with the bodies that
  ``core/api_errors.py`` produces:

  ===== ========================================================== ======================
  code  when                                                       body
  ===== ========================================================== ======================
  400   writes (a field, or the whole object, was refused) and     ``ValidationError``
        reads that take query parameters (a filter value refused)  (or ``Error``)
  401   no or a revoked token / no session                         ``Error``
  403   the caller's role lacks the permission                     ``Error``
  404   a record in the path that does not exist or that the       ``Error``
        caller may not see; a page past the last
  409   a write that sends the ``version`` it read, once another   ``Conflict``
        change got there first; a DELETE of a record that other    (``InUse`` on DELETE)
        records still point to (``core/deletion.py``)
  ===== ========================================================== ======================

  An operation may also name an error code itself (``@extend_schema(responses={404:
  OpenApiResponse(description=…)})``); it gets the same body.
"""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_media_type_object
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.pagination import BasePagination

ERROR_CODES = ("400", "401", "403", "404", "409")

ERROR = {
    "type": "object",
    "description": "Why the request was refused, for people (translated).",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "description": "The messages about one field, or the errors of a nested object (by field) "
    "or list (by position; an empty object for an item without errors).",
    "anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
        {"$ref": "#/components/schemas/ValidationError"},
    ],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "What was refused, by field: the serializer's field names, "
    "`non_field_errors` for the object as a whole, dotted paths for values checked by a service "
    "(`custom_fields.<key>`, `lines.<n>.quantity`).",
    "additionalProperties": {"$ref": "#/components/schemas/FieldErrors"},
}
CONFLICT = {
    "type": "object",
    "description": "The record changed since the caller read it: read it again (it is now at "
    "`current_version`) and retry.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": ["conflict"]},
        "current_version": {"type": "integer"},
    },
    "required": ["detail", "code", "current_version"],
}
IN_USE = {
    "type": "object",
    "description": "The record was not deleted: other records still point to it (`references`, "
    "by model). When `deactivate` is true, PATCH `active: false` instead: a deactivated record "
    "leaves the default lists and pickers and keeps its history.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": ["in_use"]},
        "deactivate": {"type": "boolean"},
        "references": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "model": {"type": "string", "description": "app_label.model"},
                    "name": {"type": "string", "description": "What they are, translated."},
                    "count": {"type": "integer"},
                },
                "required": ["model", "name", "count"],
            },
        },
    },
    "required": ["detail", "code", "deactivate", "references"],
}
COMPONENTS = {
    "Error": ERROR,
    "FieldErrors": FIELD_ERRORS,
    "ValidationError": VALIDATION_ERROR,
    "Conflict": CONFLICT,
    "InUse": IN_USE,
}
DESCRIPTIONS = {
    "400": "Refused: the errors by field.",
    "401": "Not authenticated: no or a revoked token, or no session.",
    "403": "The caller's role does not allow this.",
    "404": "Not found.",
    "409": "Stale write: another change came first.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def error_body(code: str, method: str = "GET") -> dict[str, Any]:
    if code == "400":
        return {"anyOf": [_ref("ValidationError"), _ref("Error")]}
    if code == "409":
        return _ref("InUse") if method == "DELETE" else _ref("Conflict")
    return _ref("Error")


class VinculoAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with honest pagination and the error answers."""

    def _paginates(self) -> bool:
        action = getattr(self.view, "action", None)
        if action is None:  # not a viewset: drf-spectacular's heuristics
            return self._is_list_view()
        return action == "list" and isinstance(self.view, ListModelMixin)

    def _get_paginator(self) -> BasePagination | None:
        return super()._get_paginator() if self._paginates() else None

    def get_filter_backends(self) -> list[Any]:
        return super().get_filter_backends() if self._paginates() else []

    # ---- error answers -------------------------------------------------------------------

    def _error_codes(self) -> set[str]:
        codes = set()
        auth = self.get_auth()
        if auth and {} not in auth:
            codes |= {"401", "403"}
        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        query = any(p.get("in") == "query" for p in self._get_parameters())
        if writes or query:
            codes.add("400")
        if "{" in self.path or self._get_paginator() is not None:
            codes.add("404")
        if (
            self.method in ("PUT", "PATCH", "POST")
            and not self._is_create_operation()
            and "version" in self._request_fields()
        ):
            codes.add("409")
        if self.method == "DELETE":  # a record others still point to (core/deletion.py)
            codes.add("409")
        return codes

    def _describe(self, code: str) -> str:
        if code == "409" and self.method == "DELETE":
            return "Not deleted: other records still point to this one (they are named)."
        if code != "404":
            return DESCRIPTIONS[code]
        reasons = []
        if "{" in self.path:
            reasons.append("No such record for the caller (another organisation's records do "
                           "not exist)")
        if self._get_paginator() is not None:
            reasons.append("a page past the last")
        return (", or ".join(reasons) + ".") if reasons else DESCRIPTIONS[code]

    def _request_fields(self) -> dict[str, Any]:
        serializer = self.get_request_serializer()
        if isinstance(serializer, dict):  # per media type
            serializer = next(iter(serializer.values()), None)
        if isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer):
            serializer = serializer()
        if isinstance(serializer, serializers.Serializer):
            return dict(serializer.fields)
        return {}

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        declared = {code for code in responses if code in ERROR_CODES}
        for code in sorted(self._error_codes() | declared):
            for name, schema in COMPONENTS.items():
                # a copy: drf-spectacular's enum hook rewrites a schema's inline enums into
                # references in place, which would leave the next generation without them
                self.registry.register_on_missing(ResolvedComponent(
                    name, ResolvedComponent.SCHEMA, schema=copy.deepcopy(schema), object=name))
            response = responses.setdefault(code, {"description": self._describe(code)})
            if not response.get("content"):
                response["content"] = {
                    "application/json": build_media_type_object(error_body(code, self.method))
                }
            response["description"] = response.get("description") or self._describe(code)
        return dict(sorted(responses.items()))
