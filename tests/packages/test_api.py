"""The packages API: create with included services and a rule, bad input refused naming the
field, assignment by hand, the measures and migrations, and approving a pending downgrade."""

from __future__ import annotations

import pytest

from tests.conftest import token_client
from tests.customers.factories import AccountFactory
from tests.packages.factories import TOP, make_package
from vinculo.packages.models import AccountPackage, PackageChange, ServicePackage

pytestmark = pytest.mark.django_db


def test_create_read_and_refuse_naming_the_field(api, admin):
    response = api.post("/api/packages/", {
        "name": "Premium", "rank": 30, "service_tier": "platinum", "rule": TOP,
        "lead_time_days": 2, "payment_terms_days": 60, "channels": ["email", "visit"],
        "services": [{"name": "Visita trimestral", "monthly_cost": "40.00"}]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["services"] == [{"name": "Visita trimestral", "monthly_cost": "40.00"}]
    assert body["channels"] == ["email", "visit"]
    bad = api.post("/api/packages/", {"name": "Otro", "lead_time_days": 900}, format="json")
    assert bad.status_code == 400 and "lead_time_days" in bad.json()
    bad_rule = api.post("/api/packages/", {"name": "Otro", "rule": {"conditions": [
        {"field": "analytics.clv", "op": "gte", "value": "mucho"}]}}, format="json")
    assert bad_rule.status_code == 400 and "rule" in bad_rule.json()
    assert ServicePackage.all_objects.count() == 1


def test_assign_by_hand_measures_and_migrations(api, admin, users):
    package = make_package(admin, name="Premium", rank=30, downgrade_needs_approval=True)
    account = AccountFactory(actor=admin, owner=users["sales_rep"])
    response = api.post("/api/packages/assign/", {
        "account": str(account.uuid), "package": str(package.uuid), "reason": "Estratégico"},
        format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "applied"
    no_reason = api.post("/api/packages/assign/", {
        "account": str(account.uuid), "package": None, "reason": ""}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    rows = api.get("/api/packages/measures/").json()
    assert [(r["name"], r["customers"]) for r in rows] == [("Premium", 1)]
    moves = api.get("/api/packages/migrations/").json()
    assert moves == [{"from": None, "to": str(package.uuid), "customers": 1}]
    # a representative's downgrade waits; the manager approves it through the API
    rep = token_client(users["sales_rep"])
    pending = rep.post("/api/packages/assign/", {
        "account": str(account.uuid), "package": None, "reason": "Dejó de comprar"},
        format="json").json()
    assert pending["status"] == "pending"
    assert rep.post(f"/api/package-changes/{pending['id']}/approve/").status_code == 403
    manager = token_client(users["sales_manager"])
    listed = manager.get("/api/package-changes/?status=pending").json()["results"]
    assert [row["id"] for row in listed] == [pending["id"]]
    approved = manager.post(f"/api/package-changes/{pending['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    assert not AccountPackage.all_objects.filter(account=account).exists()
    assert PackageChange.all_objects.filter(account=account).count() == 2
