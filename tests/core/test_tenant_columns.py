"""Ready for a database sharded by organisation (Citus), by test: walks every model of the app
registry and checks what ``vinculo.core.sharding`` declares.

- every table is distributed (it has a non-null ``organization`` foreign key), or declared a
  reference, local or pending table with the reason;
- every unique constraint, ``unique_together`` and unique field of a distributed table includes
  the organisation, or a foreign key to a distributed table (which fixes the organisation), or
  is the public UUID, or is a declared exception;
- every foreign key goes where Citus allows: distributed → distributed (both sides carry
  ``organization_id``, so the key becomes the composite ``(organization_id, x_id)``),
  distributed → reference, reference → reference, local → reference or local; never from a
  reference or local table to a distributed one.

A model added without an organisation, or a unique constraint without it, fails the first test
until it is fixed or declared (the last tests prove the checks catch both).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.test.utils import isolate_apps

from vinculo.core import sharding
from vinculo.core.models import Organization, TenantModel


def has_organization(model: type[models.Model]) -> bool:
    return any(field.name == "organization" for field in model._meta.concrete_fields)


def kind(model: type[models.Model]) -> str:
    return sharding.kind(model._meta.label, has_organization(model))


def unique_sets(model: type[models.Model]) -> list[tuple[str, tuple[str, ...]]]:
    """(name, fields) of every unique rule of ``model``: fields, unique_together and
    UniqueConstraints (an expression constraint names its expressions)."""
    found = [(field.name, (field.name,)) for field in model._meta.concrete_fields
             if field.unique and not field.primary_key]
    found += [("unique_together " + ",".join(names), tuple(names))
              for names in model._meta.unique_together]
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            found.append((constraint.name, tuple(constraint.fields) or tuple(
                str(expression) for expression in constraint.expressions)))
    return found


def unique_rule(model: type[models.Model], name: str, fields: tuple[str, ...]) -> str | None:
    """The rule or declared exception that makes a unique constraint of a distributed table
    acceptable, or None."""
    if "organization" in fields:
        return "organization"
    for field_name in fields:
        try:
            field = model._meta.get_field(field_name)
        except FieldDoesNotExist:  # an expression
            continue
        if (field.is_relation and (field.many_to_one or field.one_to_one)
                and kind(field.related_model) == "distributed"):
            return "tenant_fk"
    if fields == ("uuid",) and issubclass(model, TenantModel):
        return "uuid"
    key = f"{model._meta.label}.{name}"
    return key if key in sharding.UNIQUE_EXCEPTIONS else None


ALLOWED = {("distributed", "distributed"), ("distributed", "reference"),
           ("reference", "reference"), ("local", "reference"), ("local", "local")}


def problems(all_models: list[type[models.Model]]) -> list[str]:
    """What stops these tables from being distributed by organisation as declared."""
    found = []
    for model in all_models:
        label, where = model._meta.label, kind(model)
        if where == "undeclared":
            found.append(f"{label}: a tenant table without organization_id (or declare it in "
                         "vinculo.core.sharding with the reason)")
            continue
        if where == "pending":
            continue  # declared with its plan; nothing is distributed from it yet
        if where == "distributed":
            field = model._meta.get_field("organization")
            if field.null or field.related_model is not Organization:
                found.append(f"{label}.organization: the distribution column must be a "
                             "non-null foreign key to core.Organization")
            for name, fields in unique_sets(model):
                if unique_rule(model, name, fields) is None:
                    found.append(f"{label}: unique {name} {fields} does not include "
                                 "organization (or declare it in UNIQUE_EXCEPTIONS)")
        for field in model._meta.concrete_fields:
            if not field.is_relation or (field.name == "organization"
                                         and where == "distributed"):
                continue
            target = kind(field.related_model)
            if (where, target) not in ALLOWED:
                found.append(f"{label}.{field.name}: a {where} table may not point at a "
                             f"{target} table ({field.related_model._meta.label})")
    return found


def every_model() -> list[type[models.Model]]:
    return list(apps.get_models(include_auto_created=True))


def test_every_table_can_be_distributed_by_organisation_or_is_declared():
    assert problems(every_model()) == []


def test_the_declarations_name_real_tables_and_no_table_twice():
    labels = {model._meta.label for model in every_model()}
    declared = [*sharding.REFERENCE_TABLES, *sharding.LOCAL_TABLES, *sharding.PENDING_TABLES]
    assert sorted(set(declared) - labels) == []  # nothing stale
    assert len(declared) == len(set(declared))
    for key in sharding.UNIQUE_EXCEPTIONS:  # each exception is a real, still needed one
        label, name = key.rsplit(".", 1)
        model = apps.get_model(label)
        (fields,) = [f for n, f in unique_sets(model) if n == name]
        assert kind(model) == "distributed"
        assert "organization" not in fields and unique_rule(model, name, fields) == key


def test_the_business_tables_are_distributed():
    """The big tenant tables stay distributed: declaring them reference or local would hide
    them from the checks, and copy a million rows to every node."""
    for label in ("customers.Account", "customers.Contact", "sales.Order", "billing.Invoice",
                  "interactions.Interaction", "service.Ticket", "analytics.CustomerSnapshot",
                  "segments.SegmentMember", "marketing.CampaignRecipient", "core.AuditEntry",
                  "attachments.RecordFile"):
        assert kind(apps.get_model(label)) == "distributed", label
    for model in every_model():
        if issubclass(model, TenantModel) and kind(model) != "distributed":
            assert model._meta.label == "core.Team"  # the one, for core_user.team_id


def test_the_deployment_guide_distributes_and_copies_what_is_declared():
    """docs/deployment.md's Citus commands name exactly the tables declared here."""
    import re
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text()
    tables = {where: {model._meta.db_table for model in every_model() if kind(model) == where}
              for where in ("reference", "distributed")}
    assert set(re.findall(r"create_reference_table\('(\w+)'\)", guide)) == tables["reference"]
    assert set(re.findall(r"create_distributed_table\('(\w+)', 'organization_id'\)",
                          guide)) == tables["distributed"]


# ---- the checks catch what they must ----------------------------------------------------------


def isolated_model(name: str, **attrs: Any) -> type[models.Model]:
    return type(name, (models.Model,), {"__module__": "vinculo.core.models", **attrs})


@isolate_apps("vinculo.core")
def test_a_tenant_model_without_organisation_fails():
    class Meta:
        app_label = "core"

    note = isolated_model("Note", Meta=Meta, text=models.TextField())
    assert problems([note]) == [
        "core.Note: a tenant table without organization_id (or declare it in "
        "vinculo.core.sharding with the reason)"]
    nullable = isolated_model("Memo", Meta=Meta, organization=models.ForeignKey(
        Organization, null=True, on_delete=models.CASCADE, related_name="+"))
    assert problems([nullable]) == [
        "core.Memo.organization: the distribution column must be a non-null foreign key to "
        "core.Organization"]


@isolate_apps("vinculo.core")
def test_a_unique_constraint_without_organisation_fails_and_with_it_passes():
    class Meta:
        app_label = "core"
        constraints = [models.UniqueConstraint(fields=["code"], name="voucher_unique_code")]

    voucher = isolated_model("Voucher", Meta=Meta, code=models.CharField(max_length=10),
                             serial=models.CharField(max_length=10, unique=True),
                             organization=models.ForeignKey(Organization,
                                                            on_delete=models.CASCADE,
                                                            related_name="+"))
    assert problems([voucher]) == [
        "core.Voucher: unique serial ('serial',) does not include organization (or declare "
        "it in UNIQUE_EXCEPTIONS)",
        "core.Voucher: unique voucher_unique_code ('code',) does not include organization "
        "(or declare it in UNIQUE_EXCEPTIONS)"]

    class Fixed:
        app_label = "core"
        constraints = [models.UniqueConstraint(fields=["organization", "code"],
                                               name="coupon_unique_code")]

    coupon = isolated_model("Coupon", Meta=Fixed, code=models.CharField(max_length=10),
                            organization=models.ForeignKey(Organization,
                                                           on_delete=models.CASCADE,
                                                           related_name="+"))
    assert problems([coupon]) == []


@isolate_apps("vinculo.core")
def test_a_reference_table_pointing_at_a_distributed_one_fails(monkeypatch):
    class Meta:
        app_label = "core"

    monkeypatch.setitem(sharding.REFERENCE_TABLES, "core.Country", "a reference table")
    from vinculo.customers.models import Account

    country = isolated_model("Country", Meta=Meta, account=models.ForeignKey(
        Account, null=True, on_delete=models.SET_NULL, related_name="+"))
    assert problems([country]) == [
        "core.Country.account: a reference table may not point at a distributed table "
        "(customers.Account)"]


@pytest.mark.parametrize("label", ["customers.AccountContact", "segments.SegmentMember"])
def test_unique_constraints_through_a_tenant_foreign_key_are_accepted_by_the_rule(label):
    model = apps.get_model(label)
    rules = {unique_rule(model, name, fields) for name, fields in unique_sets(model)
             if "organization" not in fields}
    assert rules <= {"tenant_fk", "uuid"} and "tenant_fk" in rules
