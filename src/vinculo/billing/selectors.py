"""Reads of billing: balances, overdue invoices, aging, service indicators, the account's
recent documents. Aggregates run in the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from vinculo.billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    ReturnAuthorization,
    ReturnStatus,
)
from vinculo.core.models import User
from vinculo.core.money import ZERO
from vinculo.customers.models import Account
from vinculo.sales.models import Delivery, Order, OrderStatus

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
    return with_balance(Invoice.objects.all().select_related("account")).order_by(
        "-created_at", "-id")


def open_invoices(*, account: Account | None = None) -> QuerySet:
    """Issued invoices (not credit notes) with something left to pay."""
    queryset = Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
    if account is not None:
        queryset = queryset.filter(account=account)
    return with_balance(queryset).filter(outstanding__gt=0)


def overdue(*, on: dt.date | None = None, account: Account | None = None) -> QuerySet:
    """Open invoices past their due date on ``on`` (today by default): derived, never stored."""
    return open_invoices(account=account).filter(due_date__lt=on or timezone.localdate())


def account_outstanding(account: Account) -> Decimal:
    return open_invoices(account=account).aggregate(s=Sum("outstanding"))["s"] or ZERO


def aging(*, on: dt.date | None = None) -> dict[str, Any]:
    """Outstanding balances per account by days past due: current (not yet due), 1–30, 31–60,
    61–90, over 90; with totals per bucket. One grouped query."""
    on = on or timezone.localdate()
    queryset = open_invoices()

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


def service_indicators(*, by: str = "account", on: dt.date | None = None,
                       since: dt.date | None = None) -> list[dict[str, Any]]:
    """On-time delivery, order fill and perfect-order rates per ``by`` and month.

    ``by`` is ``account``, ``segment`` (the account's industry) or ``month`` (month only). The
    month is the month of the promised date. Definitions, over the orders *due* — promised on
    or before ``on`` (today by default) and not cancelled:

    - on time: fully delivered (``delivered_on``) on or before the promised date;
    - filled (order fill rate, the supply-chain standard): shipped complete in a single
      delivery, i.e. fully delivered with exactly one delivery (replacements not counted);
    - perfect: on time and filled and without any return that was not rejected.

    Each rate is the count ÷ orders due, as a percentage with one decimal.
    """
    if by not in ("account", "segment", "month"):
        raise ValueError("by must be account, segment or month")
    on = on or timezone.localdate()
    deliveries = (Delivery.all_objects.filter(order=OuterRef("pk"), is_replacement=False)
                  .order_by().values("order").annotate(n=Count("id")).values("n")[:1])
    returns = ReturnAuthorization.all_objects.filter(order=OuterRef("pk")).exclude(
        status=ReturnStatus.REJECTED)
    queryset = (Order.objects.exclude(status=OrderStatus.CANCELLED)
                .filter(promised_date__lte=on)
                .annotate(n_deliveries=Coalesce(Subquery(deliveries), Value(0)),
                          returned=Exists(returns), month=TruncMonth("promised_date")))
    if since is not None:
        queryset = queryset.filter(promised_date__gte=since)
    keys = {"account": ["account__uuid", "account__name"], "segment": ["account__industry"],
            "month": []}[by]
    on_time = Q(status=OrderStatus.DELIVERED, delivered_on__lte=F("promised_date"))
    filled = Q(status=OrderStatus.DELIVERED, n_deliveries=1)
    rows = (queryset.values(*keys, "month")
            .annotate(due=Count("id"), on_time=Count("id", filter=on_time),
                      filled=Count("id", filter=filled),
                      perfect=Count("id", filter=on_time & filled & Q(returned=False)))
            .order_by(*keys, "month"))
    result = []
    for row in rows:
        due = row["due"]
        result.append({
            "key": (row.get("account__name") if by == "account"
                    else row.get("account__industry") or "—" if by == "segment" else ""),
            "account": row.get("account__uuid"), "month": row["month"], "due": due,
            "on_time": row["on_time"], "filled": row["filled"], "perfect": row["perfect"],
            "on_time_rate": round(100 * row["on_time"] / due, 1) if due else None,
            "fill_rate": round(100 * row["filled"] / due, 1) if due else None,
            "perfect_rate": round(100 * row["perfect"] / due, 1) if due else None,
        })
    return result


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
    return ReturnAuthorization.objects.all().select_related("account", "order").order_by(
        "-requested_on", "-id")


def payments(user: User) -> QuerySet:
    return Payment.objects.all().select_related("invoice", "invoice__account").order_by(
        "-paid_on", "-id")


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
            f"{invoice.get_status_display()} · {invoice.total_amount:,.2f} {invoice.currency}"))
    for payment in docs["payments"]:
        items.append(TimelineItem(
            dt.datetime.combine(payment.paid_on, dt.time(12), tzinfo=dt.UTC), "payment",
            _("Payment of %(amount)s") % {"amount": f"{payment.amount:,.2f}"},
            reverse("billing:invoice_detail", kwargs={"uuid": payment.invoice.uuid}),
            str(payment.invoice)))
    for rma in docs["returns"]:
        items.append(TimelineItem(
            dt.datetime.combine(rma.requested_on, dt.time(12), tzinfo=dt.UTC), "return",
            _("Return %(number)s") % {"number": rma.number},
            reverse("billing:return_detail", kwargs={"uuid": rma.uuid}),
            rma.get_status_display()))
    return items


def revenue_between(user: User, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Net revenue invoiced from ``first`` to ``last`` (inclusive) per currency: issued
    invoices less credit notes (negative amounts), the documents the user may see; one
    aggregate on the (organisation, issue date) index."""
    rows = Invoice.objects.all().restrict(user).filter(issue_date__gte=first,
                                                       issue_date__lte=last)
    return list(rows.order_by("currency").values("currency").annotate(
        net=Sum("net_amount"), count=Count("id")))
