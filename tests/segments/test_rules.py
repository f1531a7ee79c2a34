"""The rule language: each kind of field selects the customers it should, and a bad rule is
refused naming the part at fault."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.core.factories import as_user
from tests.segments.factories import make_segment, world
from vinculo.segments import rules, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(admin):
    return world(admin)


def pick(admin, subject, *conditions, match="all"):
    rule = {"match": match, "conditions": list(conditions)}
    with as_user(admin):
        checked = rules.check(rule, subject=subject, organization_id=admin.organization_id)
        found = rules.matching(checked, subject=subject, organization_id=admin.organization_id)
        return {str(r) for r in found}


def test_own_fields_and_an_empty_rule(admin, w):
    assert pick(admin, "accounts") == {"Acme", "Beta", "Gamma"}
    assert pick(admin, "accounts", {"field": "account.lifecycle_stage", "op": "eq",
                                    "value": "customer"}) == {"Acme", "Gamma"}
    assert pick(admin, "accounts", {"field": "account.name", "op": "contains",
                                    "value": "amm"}) == {"Gamma"}
    assert pick(admin, "contacts", {"field": "contact.email", "op": "in",
                                    "value": ["ben@beta.example", "x@y.z"]}) == {"Ben Bravo"}


def test_analytics_fields_read_the_latest_finished_snapshot(admin, w):
    # Beta's older snapshot had a CLV of 9,000; only the latest counts
    assert pick(admin, "accounts", {"field": "analytics.clv", "op": "gte",
                                    "value": 1000}) == {"Acme"}
    assert pick(admin, "accounts", {"field": "analytics.p_alive", "op": "lt",
                                    "value": 0.5}) == {"Beta"}
    assert pick(admin, "accounts", {"field": "analytics.value_tier", "op": "in",
                                    "value": ["Platinum", "Gold"]}) == {"Acme"}
    # Gamma has no snapshot: it is "empty", never below or above a value
    assert pick(admin, "accounts", {"field": "analytics.clv", "op": "empty"}) == {"Gamma"}
    assert pick(admin, "accounts", {"field": "analytics.rfm_segment", "op": "ne",
                                    "value": "Champions"}) == {"Beta"}


def test_activity_counts_sums_and_latest_dates(admin, w):
    # the cancelled order neither counts nor moves the last order date
    assert pick(admin, "accounts", {"field": "activity.orders", "op": "gte", "value": 2,
                                    "days": 365}) == {"Acme"}
    # fewer than 2 includes the accounts that never ordered
    assert pick(admin, "accounts", {"field": "activity.orders", "op": "lt",
                                    "value": 2}) == {"Beta", "Gamma"}
    assert pick(admin, "accounts", {"field": "activity.orders", "op": "gte", "value": 1,
                                    "days": 30}) == {"Acme"}
    assert pick(admin, "accounts", {"field": "activity.revenue", "op": "between",
                                    "value": [2500, 3500]}) == {"Acme"}
    # "no order in the last 90 days" among those who ordered, and those who never did
    assert pick(admin, "accounts", {"field": "activity.last_order", "op": "before_last_days",
                                    "value": 90}) == {"Beta"}
    assert pick(admin, "accounts", {"field": "activity.last_order", "op": "in_last_days",
                                    "value": 90}) == {"Acme"}
    assert pick(admin, "accounts", {"field": "activity.last_order", "op": "empty"}) == {"Gamma"}
    assert pick(admin, "accounts", {"field": "activity.open_tickets", "op": "gt",
                                    "value": 0}) == {"Beta"}
    assert pick(admin, "accounts", {"field": "activity.complaints", "op": "gte",
                                    "value": 1}) == {"Gamma"}
    assert pick(admin, "accounts", {"field": "activity.last_interaction.phone",
                                    "op": "in_last_days", "value": 30}) == {"Acme"}
    assert pick(admin, "accounts", {"field": "activity.last_interaction.email",
                                    "op": "not_empty"}) == set()


def test_a_contact_rule_reaches_its_account_and_back(admin, w):
    assert pick(admin, "contacts", {"field": "analytics.clv", "op": "gte", "value": 1000},
                {"field": "consent.email", "op": "eq", "value": True}) == {"Ana Alba"}
    # withdrawn consent and no consent are both "not granted"
    assert pick(admin, "contacts", {"field": "consent.email", "op": "eq",
                                    "value": False}) == {"Ben Bravo", "Cid Campos", "Lola Sola"}
    assert pick(admin, "accounts", {"field": "contact.email", "op": "contains",
                                    "value": "@beta."}) == {"Beta"}


def test_or_groups_nest(admin, w):
    assert pick(admin, "accounts",
                {"field": "account.lifecycle_stage", "op": "eq", "value": "customer"},
                {"match": "any", "conditions": [
                    {"field": "analytics.clv", "op": "gte", "value": 1000},
                    {"field": "activity.complaints", "op": "gte", "value": 1}]},
                ) == {"Acme", "Gamma"}
    assert pick(admin, "accounts",
                {"field": "analytics.value_tier", "op": "eq", "value": "Lead"},
                {"field": "activity.last_order", "op": "empty"}, match="any") == {"Beta",
                                                                                  "Gamma"}


def test_tags_owner_and_custom_fields(admin, users, w):
    assert pick(admin, "accounts", {"field": "account.tags", "op": "in",
                                    "value": ["vip"]}) == {"Acme"}
    assert pick(admin, "accounts", {"field": "account.tags", "op": "empty"}) == {"Beta",
                                                                                "Gamma"}
    assert pick(admin, "accounts", {"field": "account.custom.employees", "op": "gt",
                                    "value": 50}) == {"Acme"}
    assert pick(admin, "contacts", {"field": "contact.custom.language_level", "op": "eq",
                                    "value": "B2"}) == {"Ana Alba"}
    marketing = users["marketing"]
    w.beta.owner = marketing
    w.beta.save(update_fields=["owner"])
    assert pick(admin, "accounts", {"field": "account.owner", "op": "eq",
                                    "value": str(marketing.uuid)}) == {"Beta"}
    assert pick(admin, "accounts", {"field": "account.owner", "op": "ne",
                                    "value": str(marketing.uuid)}) == {"Acme", "Gamma"}


def test_membership_of_another_segment_and_circular_references(admin, w):
    vip = make_segment(admin, name="VIP", subject="accounts", rule={"conditions": [
        {"field": "account.tags", "op": "in", "value": ["vip"]}]})
    with as_user(admin):
        services.segment_refresh(segment=vip, actor=admin)
    # contacts of the accounts in VIP
    assert pick(admin, "contacts", {"field": "segment", "op": "in",
                                    "value": [str(vip.uuid)]}) == {"Ana Alba"}
    assert pick(admin, "accounts", {"field": "segment", "op": "not_in",
                                    "value": [str(vip.uuid)]}) == {"Beta", "Gamma"}
    outer = make_segment(admin, name="Outer", subject="contacts", rule={"conditions": [
        {"field": "segment", "op": "in", "value": [str(vip.uuid)]}]})
    with as_user(admin), translation.override("en"), pytest.raises(ValidationError) as error:
        services.segment_update(actor=admin, segment=vip, expected_version=vip.version,
                                rule={"conditions": [
                                    {"field": "account.name", "op": "eq", "value": "x"},
                                    {"field": "segment", "op": "in",
                                     "value": [str(outer.uuid)]}]})
    assert list(error.value.message_dict) == ["rule.conditions[1].value"]
    assert "circular" in error.value.message_dict["rule.conditions[1].value"][0]
    vip.refresh_from_db()
    assert vip.rule["conditions"][0]["field"] == "account.tags"  # nothing half-written


@pytest.mark.parametrize(("rule", "path", "words"), [
    ({"conditions": [{"field": "account.name", "op": "eq", "value": "x"},
                     {"field": "analytics.nope", "op": "eq", "value": 1}]},
     "rule.conditions[1].field", "Unknown field"),
    ({"conditions": [{"field": "analytics.clv", "op": "contains", "value": "x"}]},
     "rule.conditions[0].op", "operators"),
    ({"conditions": [{"field": "analytics.clv", "op": "gte", "value": "mucho"}]},
     "rule.conditions[0].value", "number"),
    ({"conditions": [{"field": "activity.last_order", "op": "before_last_days",
                      "value": -3}]}, "rule.conditions[0].value", "days"),
    ({"conditions": [{"field": "activity.orders", "op": "gte", "value": 2, "days": "a"}]},
     "rule.conditions[0].days", "days"),
    ({"conditions": [{"field": "account.name", "op": "eq", "value": "x", "colour": 1}]},
     "rule.conditions[0].colour", "takes no"),
    ({"conditions": [{"field": "analytics.value_tier", "op": "eq", "value": "Bronze"}]},
     "rule.conditions[0].value", "choices"),
    ({"conditions": [{"field": "activity.revenue", "op": "between", "value": [5, 1]}]},
     "rule.conditions[0].value", "above"),
    ({"match": "some", "conditions": []}, "rule.match", "all"),
    ({"conditions": [{"match": "any", "conditions": [
        {"field": "analytics.clv", "op": "gte"}]}]},
     "rule.conditions[0].conditions[0].value", "needs a value"),
    ({"conditions": "clv > 3"}, "rule.conditions", "list"),
    ({"conditions": [{"field": "segment", "op": "in", "value": ["not-a-uuid"]}]},
     "rule.conditions[0].value[0]", "UUID"),
])
def test_a_bad_rule_names_the_part_at_fault(admin, w, rule, path, words):
    with as_user(admin), translation.override("en"), pytest.raises(ValidationError) as error:
        services.segment_create(actor=admin, name="Mal", rule=rule)
    assert path in error.value.message_dict, error.value.message_dict
    assert words.lower() in " ".join(error.value.message_dict[path]).lower()


def test_the_registry_lists_every_field_with_its_operators(admin, w):
    with as_user(admin), translation.override("en"):
        described = {f["name"]: f for f in rules.describe(admin.organization_id)}
    assert described["analytics.clv"]["type"] == "number"
    assert "gte" in described["analytics.clv"]["operators"]
    assert described["activity.orders"]["params"] == ["days"]
    assert described["account.custom.employees"]["label"] == "Empleados"
    assert {"value": "Platinum", "label": "Platinum"} in described["analytics.value_tier"][
        "choices"]
