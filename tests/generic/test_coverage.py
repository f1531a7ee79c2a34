"""Every API endpoint over records and every record page is declared for the generic suites:
a new one without a declaration fails here, so it cannot skip its role matrix, record-level
rule, version rule, audit and query-count baseline."""

from __future__ import annotations

import importlib

from tests.core.test_tenancy import UUID_KWARG, walk
from tests.generic import ApiSuite, PageSuite

APPS = ("core", "customers", "catalog", "sales", "billing", "interactions", "service",
        "attachments", "segments", "marketing", "packages", "loyalty", "integrations",
        "automation", "contracts", "reports", "portal")

#: API routes with a UUID that are not a record's CRUD, and where they are checked instead.
NOT_DECLARED_API = {
    "analytics-account": "the snapshots of an account: a probe in tests/core/test_generic.py",
}


def declared() -> tuple[set[str], set[str]]:
    apis: set[str] = set()
    pages: set[str] = set()
    for app in APPS:
        module = importlib.import_module(f"tests.{app}.test_generic")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, ApiSuite) and value is not ApiSuite:
                apis.add(value.api.basename)
            if isinstance(value, type) and issubclass(value, PageSuite) and value is not PageSuite:
                page = value.page
                pages.update(name.split(":")[-1] for name in (page.detail, page.edit) if name)
    return apis, pages


def test_every_api_endpoint_over_records_is_declared():
    apis, _pages = declared()
    missing = set()
    for route, pattern in walk():
        if route.startswith("api/") and UUID_KWARG.search(route) and pattern.name.endswith(
                "-detail"):
            basename = pattern.name.removesuffix("-detail")
            if basename not in apis and basename not in NOT_DECLARED_API:
                missing.add(basename)
    assert not missing, f"declare these endpoints in tests/<app>/test_generic.py: {missing}"


def test_every_record_page_is_declared():
    _apis, pages = declared()
    missing = {pattern.name for route, pattern in walk()
               if not route.startswith("api/") and UUID_KWARG.search(route)
               and pattern.name.endswith(("_detail", "_update")) and pattern.name not in pages}
    assert not missing, f"declare these pages in tests/<app>/test_generic.py: {missing}"


# ---- record rules: documents follow their account's rule (issue 17) -------------------------

#: Models reached through an owner-scoped record that declare no rule of their own, and why
#: nothing reads them on their own (a list, an endpoint, a report would need a rule).
READ_WITH_PARENT = {
    "customers.AccountContact": "memberships are read on their account's or contact's page",
    "customers.Consent": "consents are read on their contact's page and API",
    "sales.OpportunityLine": "lines are read with their opportunity",
    "sales.StageChange": "stage history is read with its opportunity",
    "sales.QuoteLine": "lines are read with their quote",
    "sales.OrderLine": "lines are read with their order",
    "sales.DeliveryLine": "lines are read with their delivery",
    "billing.InvoiceLine": "lines are read with their invoice",
    "billing.ReturnLine": "lines are read with their return",
    "service.TicketEntry": "a ticket's conversation is read with its ticket",
    "portal.PortalInvitation": "invitations are only read by their link's token",
    "portal.PortalActivity": "read on the account's portal panel, found among the accounts "
                             "the user may read",
}

#: Pages of the documents' apps and API routes over owner-scoped models, without a UUID, that
#: no Page, Api or Report declares, and where their rule is held instead.
NOT_DECLARED_READS = {
    "sales:board": "opportunities by stage: selectors.board(user=…) restricts them",
    "sales:forecast": "selectors.weighted_forecast(user=…) restricts the opportunities",
    "sales:funnel": "selectors.conversion_funnel(user=…) restricts the opportunities",
    "sales:account_picker": "customer_selectors.visible(Account, user)",
    "opportunity-forecast": "selectors.weighted_forecast(user=…)",
    "opportunity-funnel": "selectors.conversion_funnel(user=…)",
    "opportunity-from-lead": "a write: the lead is looked up through restrict(user)",
    "invoice-from-order": "a write: the order is a ScopedRelatedField, which restricts",
    "ticket-metrics": "service.metrics is not a representative's permission",
    "email-merge-fields": "the merge fields' names, no records",
    "email-list": "POST only (send): its contact and account are ScopedRelatedFields",
    "sales:stage_create": "a settings form under its pipeline (sales.manage): no customer rows",
}


def owner_scoped_models() -> set[type]:
    from django.apps import apps

    from vinculo.core.models import TenantModel

    return {model for model in apps.get_models()
            if issubclass(model, TenantModel) and model.owner_field}


def test_every_record_reached_through_an_owned_one_follows_a_rule():
    """A model whose rows belong to an owner-scoped record (a document to its account, a
    payment to its invoice) declares the record rule of that record (``owner_field``), or is
    only read with it: a new document model cannot show every customer's rows to a
    representative by forgetting it."""
    from django.apps import apps

    from vinculo.core.models import TenantModel

    scoped = owner_scoped_models()
    missing = []
    for model in apps.get_models():
        if not issubclass(model, TenantModel) or model in scoped:
            continue
        parents = [f.name for f in model._meta.concrete_fields
                   if f.many_to_one and not f.null and f.related_model in scoped]
        if parents and model._meta.label not in READ_WITH_PARENT:
            missing.append(f"{model._meta.label} (through {', '.join(parents)})")
    assert not missing, ("declare owner_field/team_field (the rule of the record they belong "
                         f"to) on: {missing}")


def test_record_rules_name_real_fields():
    """Every ``owner_field``/``team_field`` path resolves to a user or a team."""
    from vinculo.core.models import Team, User, _fields

    problems = []
    for model in owner_scoped_models():
        for attr, target in (("owner_field", User), ("team_field", Team)):
            for path in _fields(getattr(model, attr)):
                current = model
                for part in path.split("__"):
                    current = current._meta.get_field(part).related_model
                if current is not target:
                    problems.append(f"{model._meta.label}.{attr} {path} → {current}")
    assert not problems, problems


def test_every_read_of_documents_is_declared():
    """Every list page and report of the documents' apps, and every API route over an
    owner-scoped model, is declared (a Page, an Api or a Report) so the record-level rule is
    tested on it, or says where its rule is held."""
    from tests.core.test_tenancy import view_model
    from tests.generic import ReportSuite

    names = set(NOT_DECLARED_READS)
    for app in APPS:
        module = importlib.import_module(f"tests.{app}.test_generic")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, PageSuite) and value is not PageSuite:
                names.update(f"{n}" for n in (value.page.list, value.page.create) if n)
            if isinstance(value, type) and issubclass(value, ApiSuite) and value is not ApiSuite:
                names.add(f"{value.api.basename}-list")
                names.update(f"{value.api.basename}-{call.route}" for call in value.api.calls
                             if not call.detail)
            if (isinstance(value, type) and issubclass(value, ReportSuite)
                    and value is not ReportSuite):
                names.update(report.url for report in value.reports
                             if isinstance(report.url, str))
    scoped = owner_scoped_models()
    missing = set()
    for route, pattern in walk():
        if UUID_KWARG.search(route) or not pattern.name:
            continue
        if route.startswith("api/"):
            if view_model(pattern) in scoped and pattern.name not in names:
                missing.add(pattern.name)
        elif route.startswith(("sales/", "billing/")):
            name = f"{route.split('/')[0]}:{pattern.name}"
            if name not in names:
                missing.add(name)
    assert not missing, f"declare these in tests/<app>/test_generic.py: {sorted(missing)}"


# ---- deletions refused while other records point to the record (issue 17) -------------------

#: Deletable models with protected references that no Deletion declares, and why a deletion
#: can never meet them.
NOT_DELETED_WHILE_POINTED_TO = {
    "billing.Invoice": "only a draft is deleted, and nothing points to a draft (credit notes, "
                       "payments and returns need an issued invoice)",
}


def test_every_deletion_refused_by_protected_keys_is_declared():
    """Every API endpoint and page that deletes a model which other records point to through
    a protected key is declared in a DeletionSuite (its refusal is a 409 naming them)."""
    from django.apps import apps
    from django.db import models

    from tests.core.test_tenancy import view_model
    from tests.generic import DeletionSuite

    declared_apis: set[str] = set()
    declared_pages: set[str] = set()
    for app in APPS:
        module = importlib.import_module(f"tests.{app}.test_generic")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, DeletionSuite)
                    and value is not DeletionSuite):
                declared_apis.update(d.api for d in value.deletions if d.api)
                declared_pages.update(d.page.split(":")[-1] for d in value.deletions if d.page)
    protected = {field.related_model for model in apps.get_models()
                 for field in model._meta.concrete_fields
                 if field.many_to_one
                 and field.remote_field.on_delete in (models.PROTECT, models.RESTRICT)}
    missing = set()
    for route, pattern in walk():
        cls = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class",
                                                                None)
        if getattr(cls, "delete_service", None) is None:
            continue
        model = view_model(pattern)
        if model not in protected:
            continue
        if model._meta.label in NOT_DELETED_WHILE_POINTED_TO:
            continue
        if route.startswith("api/"):
            if pattern.name.endswith("-detail") and \
                    pattern.name.removesuffix("-detail") not in declared_apis:
                missing.add(pattern.name)
        elif pattern.name not in declared_pages:
            missing.add(pattern.name)
    assert not missing, f"declare a Deletion for: {sorted(missing)}"
