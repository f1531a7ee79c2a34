"""Shared fixtures: two organisations, a user of every role, API clients that log in by token."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from tests import openapi
from tests.smtp import smtp_server
from vinculo.core.audit import acting_as
from vinculo.core.models import Organization, User
from vinculo.core.roles import Role
from vinculo.core.services import api_token_create, team_get_or_create, user_create
from vinculo.core.tenancy import organization_scope

PASSWORD = "Corr3ct-Horse-Battery"

# Fixtures of their own modules: this run's Redis database, the task backend under test, the
# run's migrated template that every test database is copied from.
pytest_plugins = ["tests.redis_db", "tests.task_queue", "tests.databases"]


ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
# What gives a test a database: pytest-django's fixtures, a live server, a fresh database of
# its own for the commands it starts (tests/deploy.py, tests/core/test_serve.py), or an empty
# one for a data migration (tests/databases.py).
DATABASE_FIXTURES = frozenset({
    "db", "transactional_db", "django_db_setup", "django_db_reset_sequences",
    "django_db_serialized_rollback", "live_server", "migrated", "database_env",
    "scratch_database",
})


# What starts real processes against a database of its own (tests/deploy.py) or a live server.
STARTS_PROCESSES = frozenset({"migrated", "database_env", "live_server"})


def uses_database(item: pytest.Item) -> bool:
    return bool(item.get_closest_marker("django_db")
                or DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test using the task backend (``task_queue``, ``task_kind``) is a ``tasks`` test
    (``pytest -m tasks`` runs them alone, once per backend ``VINCULO_TEST_TASKS`` lists).

    On PostgreSQL only the tests that reach a database run: the others (the statistics, the
    business-hours calendar, mail parsing, the templates' policy…) ran on the SQLite pass and
    no database can change their outcome. pytest-django refuses a database query to a test
    without a database fixture, so a test cannot use one without being counted here."""
    for item in items:
        if {"task_queue", "task_kind"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.tasks)
    if ON_POSTGRESQL and not os.environ.get("VINCULO_TEST_ALL"):
        keep = [item for item in items if uses_database(item)]
        if len(keep) < len(items):
            config.hook.pytest_deselected(items=[i for i in items if not uses_database(i)])
            items[:] = keep
    _order_modules(items)


def _cost(item: pytest.Item) -> int:
    if not uses_database(item):
        return 0
    starts_processes = STARTS_PROCESSES.intersection(getattr(item, "fixturenames", ()))
    return 1 if starts_processes or item.get_closest_marker("browser") else 2


def _order_modules(items: list[pytest.Item]) -> None:
    """Modules without a database first, then those that start processes (servers, workers,
    a browser: the long ones), then the rest, each group in its own order. On several workers
    (`--dist loadscope` hands out modules in this order) the others keep busy while the first
    database test migrates the run's template, and no long module is left to run alone at the
    end."""
    rank: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        rank[module] = max(rank.get(module, 0), _cost(item))
    items.sort(key=lambda item: rank[item.nodeid.split("::", 1)[0]])


# The read-replica test copies the schema of the suite's PostgreSQL test database into a private
# primary and streams it to a replica (migrating an empty cluster from scratch takes minutes):
# on the SQLite pass there is neither a PostgreSQL schema to copy nor a router decision to test,
# so make test's PostgreSQL pass is where it runs. So does the Citus plan's, which reads and
# rewrites the PostgreSQL catalog.
collect_ignore = ([] if ON_POSTGRESQL
                  else ["core/test_replica.py", "core/test_citus_plan.py"])

# Property tests check results, not speed: no per-example deadline that a busy CI machine
# could miss.
hypothesis_settings.register_profile("vinculo", deadline=None)
hypothesis_settings.load_profile("vinculo")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language. Django's LocaleMiddleware activates the
    language of each request on its thread, as it should, so a page a test fetched with
    Accept-Language: es left the next test of the worker speaking Spanish."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 stays the production hasher (asserted in tests/core/test_auth.py); MD5 keeps the
    # suite fast where a test only needs some user to log in.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
    settings.EMAIL_BACKEND = os.environ.get(
        "TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
    )


@pytest.fixture(autouse=True, scope="session")
def _api_responses_match_openapi():
    """Every answer to /api/… that a test client receives must match the OpenAPI schema
    (status documented for the operation, body valid for it); see tests/openapi.py."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "request", openapi.checking(Client.request))
        yield


def make_user(org: Organization, role: str, email: str, team=None) -> User:
    return user_create(
        organization=org,
        email=email,
        password=PASSWORD,
        role=role,
        team=team,
        first_name=role.replace("_", " ").title(),
        last_name=org.name,
    )


@pytest.fixture
def org(db) -> Organization:
    return Organization.objects.create(name="Acme Ibérica", country="ES")


@pytest.fixture
def other_org(db) -> Organization:
    return Organization.objects.create(name="Globex", country="MX")


@pytest.fixture
def users(org) -> dict[str, User]:
    """One user per role in ``org``; the two sales reps share the team 'North'."""
    north = team_get_or_create(organization=org, name="North")
    result = {role: make_user(org, role, f"{role}@acme.test") for role in Role.values}
    result[Role.SALES_REP].team = north
    result[Role.SALES_REP].save()
    result["sales_rep_2"] = make_user(org, Role.SALES_REP, "rep2@acme.test", team=north)
    result["sales_rep_south"] = make_user(
        org,
        Role.SALES_REP,
        "rep3@acme.test",
        team=team_get_or_create(organization=org, name="South"),
    )
    return result


@pytest.fixture
def admin(users) -> User:
    return users[Role.ADMIN]


@pytest.fixture
def other_admin(other_org) -> User:
    return make_user(other_org, Role.ADMIN, "admin@globex.test")


def token_client(user: User) -> APIClient:
    _token, key = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api(admin) -> APIClient:
    return token_client(admin)


@pytest.fixture
def as_admin(admin):
    """Run service calls as the admin, inside its organisation's scope."""
    with organization_scope(admin.organization), acting_as(admin):
        yield admin


@pytest.fixture
def page(client, admin):
    client.force_login(admin)
    return client


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def mail_server(settings):
    """A real SMTP server (aiosmtpd) that Django sends to; background tasks run at once."""
    with smtp_server() as (port, inbox):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.TASKS = IMMEDIATE_TASKS
        yield inbox
