"""Cost drivers of billing (invoices issued, returns requested), for the cost to serve."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count

from vinculo.billing.models import Invoice, ReturnAuthorization
from vinculo.core.cost_drivers import date_window


def count_invoices(org_id: int, start: dt.date | None, end: dt.date
                   ) -> Iterable[tuple[int, int]]:
    qs = Invoice.all_objects.filter(organization_id=org_id, kind="invoice").exclude(
        status="draft")
    return (date_window(qs, "issue_date", start, end).order_by().values("account_id")
            .annotate(n=Count("id")).values_list("account_id", "n"))


def count_returns(org_id: int, start: dt.date | None, end: dt.date
                  ) -> Iterable[tuple[int, int]]:
    qs = ReturnAuthorization.all_objects.filter(organization_id=org_id)
    return (date_window(qs, "requested_on", start, end).order_by().values("account_id")
            .annotate(n=Count("id")).values_list("account_id", "n"))
