"""schemathesis over the whole OpenAPI description: no input the schema allows answers a 500.

Every operation the API documents gets a few generated requests, valid and invalid (a fixed
seed, so a failure is reproducible), sent in-process to the WSGI application as an administrator
(the role that reaches every operation), and each answer must not be a server error and must
conform to the schema: a documented status code, content type and body. `make test` runs it once,
on SQLite; tests/fuzz/test_findings.py pins what it found, on both databases.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from vinculo.core.services import api_token_create

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
APP = get_wsgi_application()


def _description() -> dict:
    """The description drf-spectacular serves at /api/schema/ (no database needed)."""
    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(_description())
# The coverage phase sends every boundary value of every field (dozens of requests per
# operation): over two hundred operations it would not fit CI's budget. Generated examples,
# valid and invalid, with a fixed seed, do.
schema.config.phases.coverage.enabled = False


@pytest.fixture
def admin_headers(admin) -> dict[str, str]:
    _token, key = api_token_create(user=admin, name="fuzz")
    return {"Authorization": f"Token {key}"}


@schema.parametrize()
@settings(
    max_examples=3,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_the_schema_allows_breaks_the_api(case, admin_headers) -> None:
    case.call_and_validate(app=APP, headers=admin_headers, checks=CHECKS)
