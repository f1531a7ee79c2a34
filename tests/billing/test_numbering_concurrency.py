"""Invoice numbers under concurrent issuing: exactly 1..N, no gaps, no duplicates.

Each worker is a thread with its own database connection, issuing through the real service.
On PostgreSQL (CI sets DATABASE_URL) eight workers race. The SQLite test database is an
in-memory shared-cache database, where a second writer fails at once with "table is locked"
instead of waiting, so there the same test runs with one worker thread.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.sales.factories import free_line
from vinculo.billing import services
from vinculo.billing.models import Invoice

PER_WORKER = 5


@pytest.mark.django_db(transaction=True)
def test_parallel_issuers_get_consecutive_numbers(admin):
    workers = 8 if connection.vendor == "postgresql" else 1
    account = AccountFactory(actor=admin)
    with as_user(admin):
        drafts = [services.invoice_create(actor=admin, account=account,
                                          lines=[free_line()])
                  for _ in range(workers * PER_WORKER)]
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    year = dt.date.today().year

    def work(mine: list[Invoice]) -> None:
        try:
            barrier.wait()
            with as_user(admin):
                for draft in mine:
                    services.invoice_issue(actor=admin, invoice=draft)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(drafts[i::workers],))
               for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    numbers = sorted(Invoice.all_objects.filter(organization=admin.organization)
                     .values_list("number", flat=True))
    total = workers * PER_WORKER
    assert numbers == [f"F-{year}-{n:06d}" for n in range(1, total + 1)]
