"""Reads of billing: balances, overdue invoices, aging, service indicators, the account's
recent documents. Aggregates run in the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone

from vinculo.billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    ReturnAuthorization,
    ReturnStatus,
)
from vinculo.core.formats import format_money
from vinculo.core.models import User
from vinculo.core.money import ZERO
from vinculo.customers.models import Account
from vinculo.sales.documents.selectors import on_time, order_filled, orders_due, rate

MONEY = DecimalField(max_digits=16, decimal_places=2)
RECENT = 10
AGING_BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "over_90")


def _sum_subquery(queryset: QuerySet, field: str, group: str) -> Coalesce:
    summed = queryset.order_by().values(group).annotate(s=Sum(field))
    return Coalesce(Subquery(summed.values("s")[:1], output_field=MONEY), Value(ZERO),
                    output_field=MONEY)


def invoices_with_balance() -> QuerySet:
    """Invoices and credit notes with their balance and what their answer shows, related."""
    return with_balance(
        Invoice.objects.select_related("account", "order", "credited_invoice")
        .prefetch_related("lines__product"))


def invoice_with_balance(*, pk: int) -> Invoice:
    """One invoice read again with its balance (after a service changed it)."""
    return invoices_with_balance().get(pk=pk)


def with_balance(queryset: QuerySet) -> QuerySet:
    """Annotate invoices with ``credited`` (issued credit notes, positive), ``paid`` and
    ``outstanding`` = total − credited − paid, in SQL."""
    credits = Invoice.all_objects.filter(credited_invoice=OuterRef("pk"),
                                         kind=InvoiceKind.CREDIT_NOTE).exclude(
        status=InvoiceStatus.DRAFT)
    payments = Payment.all_objects.filter(invoice=OuterRef("pk"))
    return queryset.annotate(
        credited=-_sum_subquery(credits, "total_amount", "credited_invoice"),
        paid=_sum_subquery(payments, "amount", "invoice"),
    ).annotate(outstanding=ExpressionWrapper(F("total_amount") - F("credited") - F("paid"),
                                             output_field=MONEY))


def invoices(user: User) -> QuerySet:
    """The invoices ``user`` may see (their account's record rule), with balances."""
    return with_balance(Invoice.objects.all().restrict(user).select_related("account")).order_by(
        "-created_at", "-id")


def open_invoices(*, user: User | None = None, account: Account | None = None) -> QuerySet:
    """Issued invoices (not credit notes) with something left to pay; those ``user`` may see
    when one is given (every figure shown to a person passes one)."""
    queryset = Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
    if user is not None:
        queryset = queryset.restrict(user)
    if account is not None:
        queryset = queryset.filter(account=account)
    return with_balance(queryset).filter(outstanding__gt=0)


def overdue(*, on: dt.date | None = None, account: Account | None = None,
            user: User | None = None) -> QuerySet:
    """Open invoices past their due date on ``on`` (today by default): derived, never stored."""
    return open_invoices(user=user, account=account).filter(
        due_date__lt=on or timezone.localdate())


def account_outstanding(account: Account) -> Decimal:
    return open_invoices(account=account).aggregate(s=Sum("outstanding"))["s"] or ZERO


def aging(*, user: User, on: dt.date | None = None) -> dict[str, Any]:
    """Outstanding balances per account by days past due: current (not yet due), 1–30, 31–60,
    61–90, over 90; with totals per bucket. One grouped query, over the invoices ``user`` may
    see (a representative's totals are their customers')."""
    on = on or timezone.localdate()
    queryset = open_invoices(user=user)

    def bucket(condition: Q) -> Sum:
        return Sum(Case(When(condition, then=F("outstanding")), default=Value(ZERO),
                        output_field=MONEY))

    def past(days: int) -> dt.date:
        return on - dt.timedelta(days=days)

    rows = list(queryset.values("account_id", "account__uuid", "account__name", "currency")
                .annotate(current=bucket(Q(due_date__gte=on)),
                          d1_30=bucket(Q(due_date__lt=on, due_date__gte=past(30))),
                          d31_60=bucket(Q(due_date__lt=past(30), due_date__gte=past(60))),
                          d61_90=bucket(Q(due_date__lt=past(60), due_date__gte=past(90))),
                          over_90=bucket(Q(due_date__lt=past(90))),
                          total=Sum("outstanding"), invoices=Count("id"))
                .order_by("account__name", "currency"))
    totals: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        per_currency = totals.setdefault(row["currency"], dict.fromkeys(
            (*AGING_BUCKETS, "total"), ZERO))
        for key in (*AGING_BUCKETS, "total"):
            row[key] = row[key] or ZERO
            per_currency[key] += row[key]
    return {"on": on, "rows": rows, "totals": totals}


# ---- service indicators ----------------------------------------------------------------------


GROUP_KEYS = {"account": ["account__name", "account__uuid"], "segment": ["account__industry"],
              "month": []}


def service_indicator_rows(*, user: User, by: str = "account", on: dt.date | None = None,
                           since: dt.date | None = None) -> QuerySet:
    """On-time delivery, order fill and perfect-order rates per ``by`` and month, as a values
    queryset the caller sorts and pages (the rates are columns, so they sort in SQL).

    ``by`` is ``account``, ``segment`` (the account's industry) or ``month`` (month only); the
    month is the promised date's. Over the orders due (``orders_due``: promised on or before
    ``on``, today by default, not cancelled), with the sales app's one definition of each
    indicator (``INDICATORS``): on time, order filled (shipped complete in a single delivery),
    and perfect — on time, filled and without a return that was not rejected. Each rate is the
    count ÷ orders due, as a percentage.
    """
    if by not in GROUP_KEYS:
        raise ValueError("by must be account, segment or month")
    returns = ReturnAuthorization.all_objects.filter(order=OuterRef("pk")).exclude(
        status=ReturnStatus.REJECTED)
    queryset = (orders_due(on=on or timezone.localdate(), user=user)
                .annotate(returned=Exists(returns), month=TruncMonth("promised_date")))
    if since is not None:
        queryset = queryset.filter(promised_date__gte=since)
    filled, timely = order_filled(), on_time()

    def pct(name: str) -> ExpressionWrapper:
        return ExpressionWrapper(Cast(F(name), FloatField()) * 100 / F("due"),
                                 output_field=FloatField())

    return (queryset.values(*GROUP_KEYS[by], "month").order_by()
            .annotate(due=Count("id"), on_time=Count("id", filter=timely),
                      filled=Count("id", filter=filled),
                      perfect=Count("id", filter=timely & filled & Q(returned=False)))
            .annotate(on_time_rate=pct("on_time"), order_fill_rate=pct("filled"),
                      perfect_rate=pct("perfect")))


def service_indicator_row(row: dict[str, Any], by: str) -> dict[str, Any]:
    """One row of ``service_indicator_rows`` as pages and the API show it (rates rounded)."""
    return {
        "key": (row.get("account__name") if by == "account"
                else row.get("account__industry") or "—" if by == "segment" else ""),
        "account": row.get("account__uuid"), "month": row["month"], "due": row["due"],
        "on_time": row["on_time"], "filled": row["filled"], "perfect": row["perfect"],
        "on_time_rate": rate(row["on_time"], row["due"]),
        "order_fill_rate": rate(row["filled"], row["due"]),
        "perfect_rate": rate(row["perfect"], row["due"]),
    }


def service_indicators(*, user: User, by: str = "account", on: dt.date | None = None,
                       since: dt.date | None = None) -> list[dict[str, Any]]:
    """Every row of ``service_indicator_rows``, ordered by its group and month."""
    rows = service_indicator_rows(by=by, on=on, since=since, user=user).order_by(
        *GROUP_KEYS[by], "month")
    return [service_indicator_row(row, by) for row in rows]


# ---- the account's documents -----------------------------------------------------------------


def account_documents(account: Account, *, limit: int = RECENT) -> dict[str, Any]:
    """The account's recent invoices and credit notes (with balances), payments and returns,
    and its outstanding balance, for the customer 360° timeline."""
    return {
        "invoices": list(with_balance(Invoice.objects.filter(account=account))
                         .order_by("-created_at", "-id")[:limit]),
        "payments": list(Payment.objects.filter(invoice__account=account)
                         .select_related("invoice").order_by("-paid_on", "-id")[:limit]),
        "returns": list(ReturnAuthorization.objects.filter(account=account)
                        .order_by("-requested_on", "-id")[:limit]),
        "outstanding": account_outstanding(account),
    }


def returns(user: User) -> QuerySet:
    """The returns ``user`` may see (their account's record rule)."""
    return ReturnAuthorization.objects.all().restrict(user).select_related(
        "account", "order").order_by("-requested_on", "-id")


def payments(user: User) -> QuerySet:
    """The payments ``user`` may see (their invoice's account's record rule)."""
    return Payment.objects.all().restrict(user).select_related(
        "invoice", "invoice__account").order_by("-paid_on", "-id")


def timeline(record: Any, limit: int) -> list[Any]:
    """Invoices, credit notes, payments and returns of an account, for the 360° timeline."""
    import datetime as dt

    from django.urls import reverse
    from django.utils.translation import gettext as _

    from vinculo.core.timeline import TimelineItem

    if not isinstance(record, Account):
        return []
    docs = account_documents(record, limit=limit)
    items = []
    for invoice in docs["invoices"]:
        items.append(TimelineItem(
            invoice.created_at, "invoice", f"{invoice.get_kind_display()} {invoice}",
            reverse("billing:invoice_detail", kwargs={"uuid": invoice.uuid}),
            f"{invoice.get_status_display()} · "
            f"{format_money(invoice.total_amount, invoice.currency)}"))
    for payment in docs["payments"]:
        items.append(TimelineItem(
            dt.datetime.combine(payment.paid_on, dt.time(12), tzinfo=dt.UTC), "payment",
            _("Payment of %(amount)s")
            % {"amount": format_money(payment.amount, payment.invoice.currency)},
            reverse("billing:invoice_detail", kwargs={"uuid": payment.invoice.uuid}),
            str(payment.invoice)))
    for rma in docs["returns"]:
        items.append(TimelineItem(
            dt.datetime.combine(rma.requested_on, dt.time(12), tzinfo=dt.UTC), "return",
            _("Return %(number)s") % {"number": rma.number},
            reverse("billing:return_detail", kwargs={"uuid": rma.uuid}),
            rma.get_status_display()))
    return items


def revenue_between(user: User | None, first: dt.date, last: dt.date, *,
                    owners: Collection[int] | None = None) -> list[dict[str, Any]]:
    """Net revenue invoiced from ``first`` to ``last`` (inclusive) per currency: issued
    invoices less credit notes (negative amounts), the documents the user may see (the whole
    organisation without a user; only accounts owned by ``owners`` when given, for a team's
    or a person's objective); one aggregate on the (organisation, issue date) index."""
    rows: QuerySet = Invoice.objects.all()
    if user is not None:
        rows = Invoice.objects.all().restrict(user)
    if owners is not None:
        rows = rows.filter(account__owner_id__in=list(owners))
    rows = rows.filter(issue_date__gte=first, issue_date__lte=last)
    return list(rows.order_by("currency").values("currency").annotate(
        net=Sum("net_amount"), count=Count("id")))
