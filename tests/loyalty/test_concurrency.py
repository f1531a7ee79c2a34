"""Concurrent redemptions never overdraw: eight threads, each with its own database
connection, redeem through the real service at once on PostgreSQL (the member row's lock
queues them). With 350 points and rewards of 100, exactly three go through, whether the
reward is a coupon code or a credit note issued by billing (which also locks the invoice and
takes a number: no deadlock, no fourth credit note).

The SQLite test database is an in-memory shared-cache database where a second writer fails
at once ("table is locked") instead of waiting, so there the same test runs one worker, as
billing's numbering test does."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.loyalty.factories import REWARDS, member, paid_invoice, program
from vinculo.billing.models import Invoice, InvoiceKind
from vinculo.loyalty import services
from vinculo.loyalty.models import EntryKind, LedgerEntry

CREDIT = {"key": "abono-10", "name": "Abono 10 €", "kind": "credit_note", "points": 100,
          "value": 10}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("reward", ["cupon-10", "abono-10"])
def test_eight_concurrent_redemptions_never_overdraw(admin, reward):
    workers = 8 if connection.vendor == "postgresql" else 1
    prog = program(admin, rewards=[*REWARDS, CREDIT])
    account = AccountFactory(actor=admin)
    invoice = paid_invoice(admin, account, amount="1000.00")  # what a credit note credits
    # joined after it was paid: it earns nothing, only the 350 below count
    m = member(admin, prog, account, joined_on=timezone.localdate() + dt.timedelta(days=1))
    with as_user(admin):
        services.points_adjust(actor=admin, member=m, points=350, note="Saldo inicial")
    barrier = threading.Barrier(workers)
    done: list[str] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            with as_user(admin):
                for _ in range(1 if workers > 1 else 8):
                    try:
                        services.points_redeem(actor=admin, member=m, reward=reward)
                        done.append("ok")
                    except ValidationError as exc:
                        assert "reward" in exc.message_dict
                        refused.append("no")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert (len(done), len(refused)) == (3, 5)
    assert LedgerEntry.all_objects.filter(member=m, kind=EntryKind.REDEEM).count() == 3
    assert services.balance(m) == 50
    notes = Invoice.all_objects.filter(kind=InvoiceKind.CREDIT_NOTE, credited_invoice=invoice)
    assert notes.count() == (3 if reward == "abono-10" else 0)
