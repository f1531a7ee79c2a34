"""Reads of service packages: the terms a customer's package promises (the provider of
``core.account_terms``), an account's package and history, and the cost of included services
(a cost driver of the cost to serve)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from vinculo.core.account_terms import AccountTerms
from vinculo.packages.models import (
    AccountPackage,
    ChangeStatus,
    IncludedService,
    PackageChange,
    ServicePackage,
)

#: The cost driver's name: the included services' cost, in money (its rate is 1 per unit).
DRIVER = "package_services"
DAYS_PER_MONTH = Decimal("30.4375")


def account_terms(account: Any) -> AccountTerms | None:
    """The promise of ``account``'s package as ``core.account_terms`` reads it (one query), or
    None when it has no active package."""
    if getattr(account, "pk", None) is None:
        return None
    row = (AccountPackage.all_objects.filter(account_id=account.pk, package__active=True)
           .select_related("package__price_list").first())
    if row is None:
        return None
    package = row.package
    price_list = package.price_list
    return AccountTerms(
        service_tier=package.service_tier,
        price_segment=price_list.segment if price_list is not None and price_list.active
        else None,
        payment_terms_days=package.payment_terms_days,
        lead_time_days=package.lead_time_days,
        partial_deliveries=package.partial_deliveries,
        source=package.name)


def package_of(account: Any) -> AccountPackage | None:
    return (AccountPackage.objects.filter(account=account)
            .select_related("package", "package__account_manager", "package__team",
                            "package__price_list").first())


def history(account: Any, limit: int = 20) -> list[PackageChange]:
    return list(PackageChange.objects.filter(account=account)
                .select_related("from_package", "to_package", "actor", "reviewed_by")
                .order_by("-on", "-id")[:limit])


def pending_changes(user: Any) -> QuerySet[PackageChange]:
    return (PackageChange.objects.restrict(user).filter(status=ChangeStatus.PENDING)
            .select_related("account", "from_package", "to_package", "actor")
            .order_by("on", "id"))


def packages_with_counts() -> QuerySet[ServicePackage]:
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    def per_package(rows: QuerySet, column: Any) -> Subquery:
        return Subquery(rows.filter(package=OuterRef("pk")).order_by().values("package")
                        .annotate(total=column).values("total")[:1])

    # one subquery each: joining both would multiply the sums by the members
    return (ServicePackage.objects.annotate(
        customers=Coalesce(per_package(AccountPackage.objects.all(), Count("id")), 0),
        monthly_cost=per_package(IncludedService.objects.all(), Sum("monthly_cost")))
        .order_by("-rank", "name", "id"))


def included_cost(org_id: int, start: dt.date | None, end: dt.date
                  ) -> Iterable[tuple[int, float]]:
    """Cost driver: per account, the monthly cost of its package's included services for the
    days of (start, end] it has had the package (its current one, since ``since``). One
    aggregate query over the packages' costs; the days are counted per membership row."""
    monthly = dict(IncludedService.all_objects.filter(organization_id=org_id)
                   .order_by().values("package_id").annotate(total=Sum("monthly_cost"))
                   .values_list("package_id", "total"))
    if not monthly:
        return []
    rows = (AccountPackage.all_objects.filter(organization_id=org_id, since__lte=end,
                                              package_id__in=list(monthly))
            .values_list("account_id", "package_id", "since"))
    result = []
    for account_id, package_id, since in rows:
        begin = max(since, start) if start is not None else since
        days = (end - begin).days
        if days > 0:
            result.append((account_id, float(monthly[package_id] * days / DAYS_PER_MONTH)))
    return result


def timeline(record: Any, limit: int) -> list[Any]:
    """An account's changes of package, for the 360° timeline."""
    from django.utils.translation import gettext as _

    from vinculo.core.timeline import TimelineItem
    from vinculo.customers.models import Account

    if not isinstance(record, Account):
        return []
    items = []
    for change in history(record, limit):
        after = change.to_package.name if change.to_package else _("no package")
        items.append(TimelineItem(
            when=dt.datetime.combine(change.on, dt.time(12), tzinfo=dt.UTC)
            if change.status != ChangeStatus.APPLIED or change.created_at.date() != change.on
            else change.created_at,
            kind="package",
            title=_("Service package: %(package)s") % {"package": after},
            detail=f"{change.get_status_display()} · {change.reason}"))
    return items


def package_names(organization_id: int) -> dict[str, str]:
    """The active packages by UUID string: what a loyalty tier may give
    (``loyalty.packages``)."""
    return {str(uuid): name for uuid, name in ServicePackage.all_objects.filter(
        organization_id=organization_id, active=True).values_list("uuid", "name")}
