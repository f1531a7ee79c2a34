"""The generic suites for the core endpoints (users, API tokens, custom fields) and the
role matrix of reports and settings that are not a record's CRUD (audit log, custom fields,
analytics, service metrics, e-mail)."""

from __future__ import annotations

import itertools

from django.urls import reverse

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Page, PageSuite, Probe, ProbeSuite
from vinculo.core.people import services as people
from vinculo.core.services import api_token_create, custom_field_create

MANAGE_USERS = "core.manage_users"

_n = itertools.count(1)


def user(admin, owner):
    return owner


def token(admin, owner):
    with as_user(owner):
        return api_token_create(user=owner, name=f"Token {next(_n)}")[0]


def custom_field(admin, owner):
    with as_user(admin):
        return custom_field_create(organization=admin.organization, model="contact",
                                   key=f"campo_{next(_n)}", label="Campo", type="text")


def team(admin, owner):
    with as_user(admin):
        return people.team_create(actor=admin, data={"name": f"Equipo {next(_n)}"})


class TestUserApi(ApiSuite):
    """Everyone who sees customers reads users (to pick owners); administrators invite and
    change them. Never deleted (405)."""

    api = Api("user", "customers", user,
              permissions={"create": MANAGE_USERS, "update": MANAGE_USERS},
              create=lambda admin, user: {"email": f"nuevo{next(_n)}@acme.test",
                                          "role": "sales_rep", "team": "North"},
              update=lambda record: {"first_name": "Renombrada"})


class TestTeamApi(ApiSuite):
    api = Api("team", "customers", team,
              permissions={"create": MANAGE_USERS, "update": MANAGE_USERS},
              create=lambda admin, user: {"name": f"Equipo nuevo {next(_n)}"},
              update=lambda record: {"name": f"Renombrado {next(_n)}"})


class TestUserPages(PageSuite):
    page = Page("user", "core", user, list="user_list",
                edit="user_update",
                permissions={action: MANAGE_USERS for action in ("list", "edit")})


class TestTeamPages(PageSuite):
    page = Page("team", "core", team, list="team_list", create="team_create",
                edit="team_update",
                permissions={action: MANAGE_USERS for action in ("list", "create", "edit")})


class TestTokenApi(ApiSuite):
    """Everyone manages their own tokens: no permission needed; revoking answers 200."""

    api = Api("token", None, token, retrieve=False, versioned=False, per_user=True,
              create=lambda admin, user: {"name": "Integración"},
              delete=True, delete_status=200)


class TestCustomFieldApi(ApiSuite):
    api = Api("customfield", "customers", custom_field, versioned=False,
              permissions={"create": "core.manage_custom_fields",
                           "delete": "core.manage_custom_fields"},
              create=lambda admin, user: {"model": "contact", "key": "talla", "label": "Talla",
                                          "type": "text"},
              delete=True)


def snapshot_url(admin) -> str:
    account = AccountFactory(actor=admin)
    return reverse("analytics-account-detail", kwargs={"uuid": account.uuid})


class TestReportsAndSettings(ProbeSuite):
    probes = [
        Probe("audit API", "audit-list", "audit.view", api=True),
        Probe("tags API", "tag-list", "customers.view", api=True),
        Probe("analytics forecast API", "analytics-forecast", "analytics.view", api=True),
        Probe("analytics segments API", "analytics-segments", "analytics.view", api=True),
        Probe("account snapshots API", snapshot_url, "analytics.view", api=True),
        Probe("service levels API", "service-level-list", "sales.view", api=True),
        Probe("audit page", "audit_log", "audit.view"),
        Probe("custom fields page", "custom_fields", "core.manage_custom_fields"),
        Probe("invite page", "user_invite", MANAGE_USERS),
        Probe("analytics dashboard", "analytics:dashboard", "analytics.view"),
        Probe("analytics forecast page", "analytics:forecast", "analytics.view"),
        Probe("service metrics page", "service:metrics", "service.metrics"),
        Probe("service desk", "service:desk", "service.view"),
        Probe("knowledge base", "service:article_list", "kb.view"),
        Probe("e-mail compose page", "interactions:email_compose", "interactions.add"),
        Probe("aging page", "billing:aging", "billing.view"),
        Probe("service levels page", "billing:service_levels", "sales.view"),
        Probe("pipeline board", "sales:board", "sales.view"),
        Probe("forecast page", "sales:forecast", "sales.view"),
    ]
