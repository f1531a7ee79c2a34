"""Contracts: the rules of create, edit, renew, cancel and the daily scan, with bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tests.conftest import make_user
from tests.contracts.factories import ContractFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.contracts import services
from vinculo.contracts.models import Contract, ContractStatus
from vinculo.core import events
from vinculo.core.models import AuditEntry
from vinculo.core.roles import Role
from vinculo.core.services import PermissionDeniedError

pytestmark = pytest.mark.django_db


def count() -> int:
    return Contract.all_objects.count()


def test_create_sets_the_renewal_date_from_the_term(admin):
    c = ContractFactory(actor=admin, start_date=dt.date(2024, 1, 31), term_months=1)
    assert c.renewal_date == dt.date(2024, 2, 29)  # the day clipped to the month
    assert (c.status, c.sequence, c.origin_id) == (ContractStatus.ACTIVE, 1, None)
    y = ContractFactory(actor=admin, start_date=dt.date(2024, 2, 29), term_months=12)
    assert y.renewal_date == dt.date(2025, 2, 28)


@pytest.mark.parametrize(("field", "value"), [
    ("term_months", 0), ("term_months", 121), ("term_months", "doce"),
    ("value", Decimal("-1")), ("value", "mucho"), ("value", Decimal("1.005")),
    ("currency", "euro"), ("notice_days", -1), ("start_date", None), ("name", ""),
])
def test_bad_input_names_its_field_and_writes_nothing(admin, field, value):
    before = count()
    with pytest.raises(ValidationError) as exc, as_user(admin):
        account = AccountFactory(actor=admin)
        services.contract_create(actor=admin, data={
            "account": account, "name": "Plan", "start_date": dt.date(2025, 1, 1),
            "term_months": 12, "value": Decimal("10"), "currency": "EUR", field: value})
    assert field in exc.value.message_dict
    assert count() == before


def test_a_field_that_cannot_be_set_is_refused(admin):
    with pytest.raises(ValidationError) as exc, as_user(admin):
        services.contract_create(actor=admin, data={"status": "renewed"})
    assert "status" in exc.value.message_dict


def test_an_account_of_another_organisation_is_refused(admin, other_admin):
    other = AccountFactory(actor=other_admin)
    with pytest.raises(ValidationError) as exc, as_user(admin):
        services.contract_create(actor=admin, data={
            "account": other, "name": "Plan", "start_date": dt.date(2025, 1, 1),
            "value": Decimal("10")})
    assert "account" in exc.value.message_dict


def test_read_only_cannot_create(org, admin):
    reader = make_user(org, Role.READ_ONLY, "lector@example.es")
    account = AccountFactory(actor=admin)
    with pytest.raises(PermissionDeniedError), as_user(reader):
        services.contract_create(actor=reader, data={"account": account, "name": "P",
                                                     "start_date": dt.date(2025, 1, 1),
                                                     "value": Decimal("1")})


def test_renew_makes_the_next_term_and_publishes(admin):
    first = ContractFactory(actor=admin, value=Decimal("100.00"))
    with events.recording() as seen, as_user(admin):
        second = services.contract_renew(actor=admin, contract=first, value=Decimal("103.00"))
    first.refresh_from_db()
    assert first.status == ContractStatus.RENEWED and first.ended_on == first.renewal_date
    # the term's end is in its history like any change (saved, not a bulk update)
    ended = AuditEntry.all_objects.filter(object_id=first.pk, object_type="contracts.contract",
                                      action="update").latest("id")
    assert ended.changes["status"] == [ContractStatus.ACTIVE, ContractStatus.RENEWED]
    assert (second.start_date, second.sequence, second.origin_id, second.renewal_of_id) == (
        first.renewal_date, 2, first.pk, first.pk)
    assert second.value == Decimal("103.00")
    with as_user(admin):
        third = services.contract_renew(actor=admin, contract=second)
    assert (third.origin_id, third.sequence, third.value) == (first.pk, 3, Decimal("103.00"))
    assert [o.name for o in seen] == ["contract.renewed"]
    with pytest.raises(ValidationError) as exc, as_user(admin):
        services.contract_renew(actor=admin, contract=first)  # already renewed
    assert "status" in exc.value.message_dict


def test_cancel_needs_a_reason_and_ends_at_the_renewal_date(admin):
    c = ContractFactory(actor=admin)
    with pytest.raises(ValidationError) as exc, as_user(admin):
        services.contract_cancel(actor=admin, contract=c, reason="porque sí")
    assert "reason" in exc.value.message_dict
    c.refresh_from_db()
    assert c.status == ContractStatus.ACTIVE
    with events.recording() as seen, as_user(admin):
        services.contract_cancel(actor=admin, contract=c, reason="price", note="Caro")
    c.refresh_from_db()
    assert (c.status, c.cancel_reason, c.ended_on) == ("cancelled", "price", c.renewal_date)
    assert seen[0].name == "contract.cancelled" and seen[0].data["reason"] == "price"


def test_dates_of_a_past_term_cannot_change(admin):
    first = ContractFactory(actor=admin)
    with as_user(admin):
        services.contract_renew(actor=admin, contract=first)
    first.refresh_from_db()
    with pytest.raises(ValidationError) as exc, as_user(admin):
        services.contract_update(actor=admin, contract=first, expected_version=first.version,
                                 data={"value": Decimal("1.00")})
    assert "value" in exc.value.message_dict
    with as_user(admin):  # its notes still can
        services.contract_update(actor=admin, contract=first, expected_version=first.version,
                                 data={"notes": "Histórico"})


def test_scan_renews_automatic_ones_lapses_others_and_announces_due(admin):
    auto = ContractFactory(actor=admin, start_date=dt.date(2023, 1, 10), auto_renew=True)
    manual = ContractFactory(actor=admin, start_date=dt.date(2024, 1, 10))
    soon = ContractFactory(actor=admin, start_date=dt.date(2024, 2, 20), notice_days=30)
    with events.recording() as seen:
        result = services.contracts_scan(today=dt.date(2025, 1, 31))
    assert (result.renewed, result.lapsed, result.due, result.errors) == (2, 1, 1, [])
    latest = Contract.all_objects.filter(origin_id=auto.pk).order_by("-sequence").first()
    assert (latest.sequence, latest.start_date, latest.status) == (
        3, dt.date(2025, 1, 10), ContractStatus.ACTIVE)  # two years caught up
    manual.refresh_from_db()
    assert (manual.status, manual.cancel_reason) == (ContractStatus.LAPSED, "not_renewed")
    names = sorted(o.name for o in seen)
    assert names == ["contract.lapsed", "contract.renewal_due", "contract.renewed",
                     "contract.renewed"]
    due = next(o for o in seen if o.name == "contract.renewal_due")
    assert due.record.pk == soon.pk and due.data["days"] == 20
    with events.recording() as again:  # once per term
        result = services.contracts_scan(today=dt.date(2025, 2, 1))
    assert result.due == 0 and not [o for o in again if o.name == "contract.renewal_due"]


def test_the_scan_command(admin, capsys):
    ContractFactory(actor=admin, start_date=dt.date(2020, 1, 1))
    call_command("contracts_scan", "--today", "2021-01-02")
    assert "lapsed 1" in capsys.readouterr().out
