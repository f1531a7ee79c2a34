"""The OpenAPI description: generated without warnings, valid, and enforced on every test call."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests import openapi


class FakeResponse:
    def __init__(self, status: int, body: object = None, content_type: str = "application/json"):
        self.status_code = status
        self.content = b"" if body is None else json.dumps(body).encode()
        self.headers = {"Content-Type": content_type} if body is not None else {}


def test_schema_generates_without_warnings_and_is_valid_openapi():
    """What ``vinculo spectacular --validate --fail-on-warn`` checks, on the session's schema."""
    description = openapi.description()
    assert description.warnings == {}
    validate_schema(description.schema)


def test_the_description_is_the_same_every_time_it_is_generated():
    """The schema view, the fuzzer and the tests each generate it: a hook that rewrote shared
    schema pieces in place left the second generation pointing at enums it no longer held."""
    first = SchemaGenerator().get_schema(request=None, public=True)
    second = SchemaGenerator().get_schema(request=None, public=True)
    assert json.dumps(second, sort_keys=True) == json.dumps(first, sort_keys=True)
    assert "ConflictCodeEnum" in second["components"]["schemas"]


def test_every_test_client_checks_api_answers():
    assert Client.request.__wrapped__ is not None  # installed by tests/conftest.py


def test_an_undocumented_status_names_the_operation():
    with pytest.raises(openapi.SchemaMismatch) as failure:
        openapi.description().check("get", "/api/tags/", FakeResponse(418, {"detail": "tea"}))
    message = str(failure.value)
    assert "GET /api/tags/ (tags_list)" in message
    assert "answered 418: a status code the OpenAPI schema does not document" in message


def test_a_body_that_does_not_conform_names_the_json_path():
    body = {"next": None, "previous": None, "page": 1, "results": [{"name": 7, "color": "x"}]}
    with pytest.raises(openapi.SchemaMismatch) as failure:
        openapi.description().check("get", "/api/tags/", FakeResponse(200, body))
    assert "at $.results[0].name: 7 is not of type 'string'" in str(failure.value)


def test_error_bodies_are_the_documented_shapes():
    check = openapi.description().check
    path = "/api/contacts/0b9e2a64-7f4c-4c38-9d38-3f1f4a1e6d10/"
    check("patch", path, FakeResponse(400, {"version": ["Send the version you read."]}))
    check("patch", path, FakeResponse(400, {"accounts": [{}, {"role": ["Too long."]}]}))
    check("patch", path, FakeResponse(409, {"detail": "Changed.", "code": "conflict",
                                            "current_version": 3}))
    check("get", path, FakeResponse(404, {"detail": "Not found."}))
    with pytest.raises(openapi.SchemaMismatch, match=r"at \$: 'current_version' is a required"):
        check("patch", path, FakeResponse(409, {"detail": "Changed.", "code": "conflict"}))


def test_lists_that_are_not_paginated_are_bare_arrays():
    path = "/api/contacts/0b9e2a64-7f4c-4c38-9d38-3f1f4a1e6d10/history/"
    openapi.description().check("get", path, FakeResponse(200, []))
    with pytest.raises(openapi.SchemaMismatch):
        openapi.description().check("get", path, FakeResponse(200, {"results": []}))


def test_unrouted_paths_and_undocumented_methods_are_left_alone():
    check = openapi.description().check
    check("get", "/api/no-such-thing/", FakeResponse(404, "<h1>Not Found</h1>", "text/html"))
    check("delete", "/api/tags/", FakeResponse(405, {"detail": 'Method "DELETE" not allowed.'}))
    with pytest.raises(openapi.SchemaMismatch, match="has no DELETE operation"):
        check("delete", "/api/tags/", FakeResponse(204))
