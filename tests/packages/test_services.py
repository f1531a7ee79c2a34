"""Packages: defining them (bad input refused naming the field, nothing half-written), placing
customers by rule after a recompute (set-based, dated, owner told), by hand with a reason, and
downgrades waiting for a manager."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.packages.factories import MIDDLE, TOP, make_package, recompute
from vinculo.analytics.models import CostRate
from vinculo.catalog.models import PriceList
from vinculo.core import events
from vinculo.core.models import OutgoingEmail
from vinculo.core.services import PermissionDeniedError
from vinculo.packages import services
from vinculo.packages.models import (
    AccountPackage,
    ChangeStatus,
    Decision,
    IncludedService,
    PackageChange,
    ServicePackage,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("data", "field"), [
    ({"name": ""}, "name"),
    ({"rank": 500}, "rank"),
    ({"rank": "alto"}, "rank"),
    ({"lead_time_days": -1}, "lead_time_days"),
    ({"payment_terms_days": 400}, "payment_terms_days"),
    ({"service_tier": "diamond"}, "service_tier"),
    ({"channels": ["fax"]}, "channels"),
    ({"rule": {"conditions": [{"field": "analytics.nope", "op": "eq", "value": 1}]}}, "rule"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_refused_naming_the_field(admin, data, field):
    with pytest.raises(ValidationError) as caught:
        make_package(admin, **{"name": "Oro", **data})
    assert field in caught.value.message_dict
    assert not ServicePackage.all_objects.exists()


def test_bad_included_service_is_refused_and_nothing_is_written(admin):
    with pytest.raises(ValidationError) as caught:
        make_package(admin, name="Oro", services_=[{"name": "Visita", "monthly_cost": "40"},
                                                   {"name": "Línea", "monthly_cost": "-3"}])
    assert "services.1.monthly_cost" in caught.value.message_dict
    assert not ServicePackage.all_objects.exists()


def test_a_package_price_list_is_a_segment_list(admin):
    general = PriceList.all_objects.create(organization=admin.organization, name="General",
                                           currency="EUR", valid_from=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError) as caught:
        make_package(admin, name="Oro", price_list=general)
    assert "price_list" in caught.value.message_dict


def test_names_are_unique_and_roles_are_checked(admin, users):
    make_package(admin, name="Oro")
    with pytest.raises(ValidationError) as caught:
        make_package(admin, name="oro")
    assert "name" in caught.value.message_dict
    with pytest.raises(PermissionDeniedError):
        make_package(users["sales_rep"], name="Plata")


def test_a_new_package_counts_its_included_services_in_money(admin):
    package = make_package(admin, name="Oro", services_=[
        {"name": "Visita trimestral", "monthly_cost": "40"}])
    assert [(s.name, s.monthly_cost)
            for s in IncludedService.all_objects.filter(package=package)] == [
        ("Visita trimestral", Decimal("40.00"))]
    assert CostRate.all_objects.get(organization=admin.organization,
                                    driver="package_services").rate == 1


def _accounts(admin, users, n):
    return [AccountFactory(actor=admin, owner=users["sales_rep"]) for _ in range(n)]


def test_a_recompute_places_customers_by_rank_and_records_each_move(admin, users):
    gold = make_package(admin, name="Oro", rank=30, rule=TOP)
    silver = make_package(admin, name="Plata", rank=20, rule=MIDDLE)
    high, medium, low = _accounts(admin, users, 3)
    recompute({high: "High", medium: "Medium", low: "Low"})
    with as_user(admin):
        result = services.packages_evaluate(organization=admin.organization)
    assert (result.applied, result.pending) == (2, 0)
    placed = dict(AccountPackage.all_objects.values_list("account_id", "package_id"))
    assert placed == {high.pk: gold.pk, medium.pk: silver.pk}
    change = PackageChange.all_objects.get(account=high)
    assert (change.from_package, change.to_package, change.decided_by, change.on) == (
        None, gold, Decision.RULE, timezone.localdate())
    # the owner is told once, listing both customers
    told = OutgoingEmail.objects.filter(to=users["sales_rep"].email)
    assert told.count() == 1 and high.name in told.get().body and medium.name in told.get().body
    # the analytics move: high falls to Medium (down from Oro to Plata), low leaves nothing
    recompute({high: "Medium", medium: "Medium", low: "Low"})
    with as_user(admin):
        services.packages_evaluate(organization=admin.organization)
    assert AccountPackage.all_objects.get(account=high).package == silver
    assert PackageChange.all_objects.filter(account=high).count() == 2
    # nothing matches any more: the customer leaves the package, dated
    recompute({high: "Loss-making", medium: "Medium", low: "Low"})
    with as_user(admin):
        services.packages_evaluate(organization=admin.organization)
    assert not AccountPackage.all_objects.filter(account=high).exists()
    assert PackageChange.all_objects.filter(account=high, to_package=None).count() == 1


def test_evaluation_costs_the_same_queries_for_more_customers(admin, users):
    make_package(admin, name="Oro", rank=30, rule=TOP)
    make_package(admin, name="Plata", rank=20, rule=MIDDLE)

    def queries(n):
        AccountPackage.all_objects.all().delete()
        PackageChange.all_objects.all().delete()
        accounts = _accounts(admin, users, n)
        recompute({a: ("High" if i % 2 else "Medium") for i, a in enumerate(accounts)})
        with as_user(admin), CaptureQueriesContext(connection) as captured:
            services.packages_evaluate(organization=admin.organization, publish=False)
        return len(captured)

    assert queries(3) == queries(15)


def test_each_move_is_a_record_of_its_own_with_the_reason_and_an_event(admin, users):
    gold = make_package(admin, name="Oro", rank=30, rule=TOP)
    silver = make_package(admin, name="Plata", rank=20, rule=MIDDLE)
    high, medium = _accounts(admin, users, 2)
    recompute({high: "High", medium: "Medium"})
    with as_user(admin), events.recording() as seen:
        services.packages_evaluate(organization=admin.organization, actor=admin)
    records = {c.account_id: c for c in PackageChange.all_objects.all()}
    assert {pk: c.to_package for pk, c in records.items()} == {high.pk: gold,
                                                               medium.pk: silver}
    # no stored sentence: the decision and the packages are shown in the reader's language
    assert {c.reason for c in records.values()} == {""}
    assert all(c.actor == admin and c.status == ChangeStatus.APPLIED for c in records.values())
    # written by the database, each change still has its own public id (a random UUID v4)
    uuids = [c.uuid for c in records.values()]
    assert len(set(uuids)) == 2 and {u.version for u in uuids} == {4}
    moved = sorted((o.record.pk, o.data["to"]) for o in seen if o.name == "package.changed")
    assert moved == sorted([(high.pk, str(gold.uuid)), (medium.pk, str(silver.uuid))])


def test_a_mass_move_is_one_summary_not_an_event_per_customer(admin, users, monkeypatch):
    from vinculo.packages import evaluation

    monkeypatch.setattr(evaluation, "EVENTS_LIMIT", 1)
    make_package(admin, name="Oro", rank=30, rule=TOP)
    accounts = _accounts(admin, users, 2)
    recompute(dict.fromkeys(accounts, "High"))
    with as_user(admin), events.recording() as seen:
        result = services.packages_evaluate(organization=admin.organization)
    assert result.applied == 2 and result.moved == {"Oro": 2}
    assert not [o for o in seen if o.name.startswith("package.")]
    assert OutgoingEmail.objects.filter(to=users["sales_rep"].email).count() == 1


def test_an_owner_of_many_moved_customers_gets_a_short_list_and_the_count(admin, users,
                                                                          monkeypatch):
    from vinculo.packages import changes

    monkeypatch.setattr(changes, "LISTED", 2)
    make_package(admin, name="Oro", rank=30, rule=TOP)
    accounts = _accounts(admin, users, 3)
    recompute(dict.fromkeys(accounts, "High"))
    with as_user(admin):
        services.packages_evaluate(organization=admin.organization)
    mail = OutgoingEmail.objects.get(to=users["sales_rep"].email)
    assert sum(a.name in mail.body for a in accounts) == 2
    assert "3" in mail.subject and "1 more" in mail.body


def test_the_recompute_event_re_evaluates(admin, users, django_capture_on_commit_callbacks):
    gold = make_package(admin, name="Oro", rank=30, rule=TOP)
    (high,) = _accounts(admin, users, 1)
    run = recompute({high: "High"})
    with django_capture_on_commit_callbacks(execute=True), as_user(admin):
        events.publish("snapshot.recomputed", record=run, actor=None,
                       data={"as_of": timezone.localdate().isoformat(), "customers": 1})
    assert AccountPackage.all_objects.get(account=high).package == gold


def test_by_hand_needs_a_reason_and_pins_the_customer(admin, users):
    gold = make_package(admin, name="Oro", rank=30, rule=TOP)
    (account,) = _accounts(admin, users, 1)
    with as_user(admin), pytest.raises(ValidationError) as caught:
        services.package_assign(actor=admin, account=account, package=gold, reason=" ")
    assert "reason" in caught.value.message_dict
    with as_user(admin):
        change = services.package_assign(actor=admin, account=account, package=gold,
                                         reason="Cliente estratégico")
    assert (change.decided_by, change.actor, change.status) == (Decision.MANUAL, admin,
                                                                ChangeStatus.APPLIED)
    recompute({account: "Low"})
    with as_user(admin):
        services.packages_evaluate(organization=admin.organization)
    assert AccountPackage.all_objects.get(account=account).package == gold  # pinned


def test_a_downgrade_waits_for_a_manager(admin, users):
    gold = make_package(admin, name="Oro", rank=30, rule=TOP, downgrade_needs_approval=True)
    silver = make_package(admin, name="Plata", rank=20, rule=MIDDLE)
    (account,) = _accounts(admin, users, 1)
    recompute({account: "High"})
    with as_user(admin):
        services.packages_evaluate(organization=admin.organization)
    recompute({account: "Medium"})
    with as_user(admin):
        result = services.packages_evaluate(organization=admin.organization)
    assert (result.applied, result.pending) == (0, 1)
    assert AccountPackage.all_objects.get(account=account).package == gold
    pending = PackageChange.all_objects.get(status=ChangeStatus.PENDING)
    assert pending.to_package == silver
    rep = users["sales_rep"]
    with as_user(rep), pytest.raises(PermissionDeniedError):
        services.change_approve(actor=rep, change=pending)
    # a second recompute does not stack another pending change
    with as_user(admin):
        services.packages_evaluate(organization=admin.organization)
    assert PackageChange.all_objects.filter(status=ChangeStatus.PENDING).count() == 1
    manager = users["sales_manager"]
    with as_user(manager):
        services.change_approve(actor=manager, change=pending)
    assert AccountPackage.all_objects.get(account=account).package == silver
    pending.refresh_from_db()
    assert (pending.status, pending.reviewed_by) == (ChangeStatus.APPLIED, manager)


def test_a_rejected_downgrade_keeps_the_package(admin, users):
    gold = make_package(admin, name="Oro", rank=30, downgrade_needs_approval=True)
    (account,) = _accounts(admin, users, 1)
    rep = users["sales_rep"]
    with as_user(admin):
        services.package_assign(actor=admin, account=account, package=gold, reason="Alta")
    with as_user(rep):
        change = services.package_assign(actor=rep, account=account, package=None,
                                         reason="Ya no compra")
    assert change.status == ChangeStatus.PENDING
    with as_user(admin):
        services.change_reject(actor=admin, change=change)
    assert AccountPackage.all_objects.get(account=account).package == gold
