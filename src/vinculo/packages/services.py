"""Service packages: defining them, and who has which.

A package is assigned by its rule (the segments' rule language over accounts, the analytics
snapshot included) after every analytics recompute, or by hand with a reason. Every change is
a dated ``PackageChange`` naming who or what decided it; the account's owner is told; leaving a
package that requires approval for a lower one waits for a manager. What a package promises is
applied by the lower apps through ``core.account_terms`` (``selectors.account_terms``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.analytics.models import CostRate
from vinculo.catalog.models import PriceList
from vinculo.core import events
from vinculo.core.list_entries import entry_name, refuse_taken_name
from vinculo.core.models import Organization, Team, User
from vinculo.core.services import org_id, refuse_unknown, require, versioned_save
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account, ServiceTier
from vinculo.packages.changes import needs_approval, publish, rank_of, tell_owners
from vinculo.packages.evaluation import packages_evaluate
from vinculo.packages.models import (
    AccountPackage,
    ChangeStatus,
    Decision,
    IncludedService,
    PackageChange,
    ServiceChannel,
    ServicePackage,
)
from vinculo.packages.selectors import DRIVER
from vinculo.segments import rules

PACKAGE_FIELDS = ("name", "description", "rank", "active", "rule", "service_tier",
                  "price_list", "lead_time_days", "partial_deliveries", "payment_terms_days",
                  "account_manager", "team", "channels", "offers", "downgrade_needs_approval")
NAME_MAX = 120
MAX_DAYS = 365
MAX_RANK = 100
COST_LIMIT = Decimal("9999999999.99")


# ---- defining packages -----------------------------------------------------------------------


def _days(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: _("Enter a whole number of days.")}) from None
    if not 0 <= days <= MAX_DAYS:
        raise ValidationError({name: _("Between 0 and 365 days.")})
    return days


def _rank(value: Any) -> int:
    try:
        rank = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"rank": _("Enter a whole number.")}) from None
    if not 0 <= rank <= MAX_RANK:
        raise ValidationError({"rank": _("Between 0 and 100.")})
    return rank


def _reference(model: type, value: Any, name: str, organization_id: int) -> Any:
    if value in (None, ""):
        return None
    record: Any
    if isinstance(value, model):
        record = value
    else:
        try:
            record = model.all_objects.filter(uuid=value).first()  # type: ignore[attr-defined]
        except (ValueError, ValidationError):
            record = None
    if record is None or record.organization_id != organization_id:
        raise ValidationError({name: _("Not found.")})
    return record


def _channels(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValidationError({"channels": _("Give a list of channels.")})
    unknown = [str(v) for v in value if v not in ServiceChannel.values]
    if unknown:
        raise ValidationError({"channels": _("“%(value)s” is not one of the choices.")
                               % {"value": unknown[0]}})
    return [c for c in ServiceChannel.values if c in value]


def _values(organization_id: int, data: dict[str, Any],
            package: ServicePackage | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = entry_name(data.get("name"), NAME_MAX, collapse=True)
        refuse_taken_name(ServicePackage.all_objects.filter(organization_id=organization_id),
                          values["name"], package, _("There is already a package with this "
                                                     "name."))
    if "description" in data:
        values["description"] = str(data["description"] or "").strip()
    if "offers" in data:
        values["offers"] = str(data["offers"] or "").strip()
    if "rank" in data:
        values["rank"] = _rank(data["rank"])
    for flag in ("active", "partial_deliveries", "downgrade_needs_approval"):
        if flag in data:
            values[flag] = bool(data[flag])
    if "rule" in data:
        rule = data["rule"] or {}
        if rule and rule.get("conditions"):
            try:
                checked = rules.check(rule, subject="accounts", organization_id=organization_id)
            except ValidationError as exc:
                raise ValidationError({"rule": [m for ms in exc.message_dict.values()
                                                for m in ms]}) from None
            values["rule"] = rules.as_json(checked)
        else:
            values["rule"] = {}
    if "service_tier" in data:
        if data["service_tier"] not in ServiceTier.values:
            raise ValidationError({"service_tier": _("“%(value)s” is not one of the choices.")
                                   % {"value": data["service_tier"]}})
        values["service_tier"] = data["service_tier"]
    if "price_list" in data:
        price_list = _reference(PriceList, data["price_list"], "price_list", organization_id)
        if price_list is not None and (price_list.account_id or not price_list.segment):
            raise ValidationError({"price_list": _(
                "Choose a price list for a customer segment: it applies to every customer "
                "of the package.")})
        values["price_list"] = price_list
    for name in ("lead_time_days", "payment_terms_days"):
        if name in data:
            values[name] = _days(data[name], name)
    if "account_manager" in data:
        manager = _reference(User, data["account_manager"], "account_manager", organization_id)
        if manager is not None and not manager.is_active:
            raise ValidationError({"account_manager": _("Not found.")})
        values["account_manager"] = manager
    if "team" in data:
        values["team"] = _reference(Team, data["team"], "team", organization_id)
    if "channels" in data:
        values["channels"] = _channels(data["channels"])
    return values


def _included(services: Iterable[dict[str, Any]] | None) -> list[tuple[str, Decimal]] | None:
    """The included services as (name, monthly cost), refused naming ``services.<n>.<field>``."""
    if services is None:
        return None
    rows = []
    for index, item in enumerate(services):
        if not isinstance(item, dict):
            raise ValidationError({f"services.{index}": _("Give a name and a monthly cost.")})
        name = " ".join(str(item.get("name") or "").split())
        if not name:
            raise ValidationError({f"services.{index}.name": _("This field cannot be blank.")})
        if len(name) > NAME_MAX:
            raise ValidationError({f"services.{index}.name": _("At most %(n)d characters.")
                                   % {"n": NAME_MAX}})
        try:
            cost = Decimal(str(item.get("monthly_cost") if item.get("monthly_cost")
                               not in (None, "") else "0"))
        except InvalidOperation:
            raise ValidationError({f"services.{index}.monthly_cost": _("Enter a number.")}
                                  ) from None
        if not cost.is_finite() or cost < 0 or cost > COST_LIMIT:
            raise ValidationError({f"services.{index}.monthly_cost": _(
                "Enter an amount of zero or more.")})
        rows.append((name, cost.quantize(Decimal("0.01"))))
    return rows


def _save_services(package: ServicePackage, rows: list[tuple[str, Decimal]] | None) -> None:
    if rows is None:
        return
    package.services.all().delete()
    IncludedService.objects.bulk_create(
        IncludedService(organization_id=package.organization_id, package=package, name=name,
                        monthly_cost=cost) for name, cost in rows)


@transaction.atomic
def package_create(*, actor: User, data: dict[str, Any],
                   services: Iterable[dict[str, Any]] | None = None) -> ServicePackage:
    """A new package; ``services`` lists its included services (name, monthly cost)."""
    require(actor, "packages.manage")
    refuse_unknown(data, PACKAGE_FIELDS)
    organization_id = org_id(actor)
    values = _values(organization_id, {**data, "name": data.get("name")}, None)
    rows = _included(services)
    package = ServicePackage.objects.create(organization_id=organization_id, **values)
    _save_services(package, rows)
    # The included services' cost is counted in money: one unit costs one (unless changed).
    CostRate.all_objects.get_or_create(organization_id=organization_id, driver=DRIVER,
                                       defaults={"rate": Decimal(1)})
    return package


@transaction.atomic
def package_update(*, actor: User, package: ServicePackage, data: dict[str, Any],
                   expected_version: int | None,
                   services: Iterable[dict[str, Any]] | None = None) -> ServicePackage:
    """Change a package; its customers' next tickets, quotes, orders and invoices follow."""
    require(actor, "packages.manage")
    refuse_unknown(data, PACKAGE_FIELDS)
    values = _values(package.organization_id, data, package)
    rows = _included(services)
    for key, value in values.items():
        setattr(package, key, value)
    package = versioned_save(package, expected_version=expected_version, fields=list(values))
    _save_services(package, rows)
    return package


@transaction.atomic
def package_delete(*, actor: User, package: ServicePackage) -> None:
    """Remove a package no customer has and no change names (else: deactivate it)."""
    require(actor, "packages.manage")
    package.delete()


@transaction.atomic
def package_deactivate(*, actor: User, package: ServicePackage) -> ServicePackage:
    """Keep a package customers still have, and its history, but promise nothing more: its
    customers' next tickets and documents take the standard terms; rules skip it."""
    require(actor, "packages.manage")
    package.active = False
    return versioned_save(package, expected_version=None, fields=["active"])


# ---- who has which ---------------------------------------------------------------------------


def _apply(organization_id: int, changes: list[PackageChange], today: Any) -> None:
    """Write the accounts' rows for changes decided one at a time (by hand, an approval, a
    loyalty tier); a recompute's mass moves are written in SQL (``evaluation``)."""
    if not changes:
        return
    leaving = [c.account_id for c in changes if c.to_package_id is None]
    AccountPackage.all_objects.filter(organization_id=organization_id,
                                      account_id__in=leaving).delete()
    moving = {c.account_id: c.to_package_id for c in changes if c.to_package_id is not None}
    manual = {c.account_id for c in changes if c.decided_by == Decision.MANUAL}
    existing = {row.account_id: row for row in AccountPackage.all_objects.filter(
        organization_id=organization_id, account_id__in=list(moving))}
    new_rows, updated = [], []
    for account_id, package_id in moving.items():
        row = existing.get(account_id)
        pinned = account_id in manual
        if row is None:
            new_rows.append(AccountPackage(organization_id=organization_id,
                                           account_id=account_id,
                                           package_id=package_id, since=today,
                                           pinned=pinned))
        else:
            row.package_id, row.since, row.pinned = package_id, today, pinned
            updated.append(row)
    AccountPackage.all_objects.bulk_create(new_rows)
    AccountPackage.all_objects.bulk_update(updated, ["package", "since", "pinned",
                                                     "updated_at"])


@transaction.atomic
def package_assign(*, actor: User, account: Account, package: ServicePackage | None,
                   reason: str) -> PackageChange:
    """Give an account a package by hand (or none), with the reason; rules leave it there.

    A downgrade out of a package requiring approval waits for a manager unless the actor may
    approve it.
    """
    require(actor, "packages.assign")
    organization_id = org_id(actor)
    if account.organization_id != organization_id:
        raise ValidationError({"account": _("Not found.")})
    if package is not None and package.organization_id != organization_id:
        raise ValidationError({"package": _("Not found.")})
    if package is not None and not package.active:
        raise ValidationError({"package": _("This package is inactive.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the customer changes package.")})
    Account.objects.select_for_update().filter(pk=account.pk).first()
    row = AccountPackage.objects.filter(account=account).select_related("package").first()
    old = row.package if row else None
    if old == package:
        raise ValidationError({"package": _("The customer already has this package.")})
    if PackageChange.objects.filter(account=account, status=ChangeStatus.PENDING).exists():
        raise ValidationError({"package": _("A change of package for this customer waits "
                                            "for approval: approve or reject it first.")})
    from vinculo.core.roles import role_has

    status = (ChangeStatus.PENDING
              if needs_approval(old, package) and not role_has(actor.role, "packages.approve")
              else ChangeStatus.APPLIED)
    change = PackageChange.objects.create(
        organization_id=organization_id, account=account, from_package=old, to_package=package,
        on=timezone.localdate(), decided_by=Decision.MANUAL, actor=actor, reason=reason,
        status=status)
    if status == ChangeStatus.APPLIED:
        _apply(organization_id, [change], change.on)
    tell_owners(organization_id, [change])
    publish([change], actor)
    return change


@transaction.atomic
def package_release(*, actor: User, account: Account) -> AccountPackage | None:
    """Hand an account set by hand back to the rules (the next recompute places it)."""
    require(actor, "packages.assign")
    row = AccountPackage.objects.filter(account=account).first()
    if row is None or not row.pinned:
        return row
    row.pinned = False
    return versioned_save(row, expected_version=None, fields=["pinned"])


@transaction.atomic
def change_approve(*, actor: User, change: PackageChange) -> PackageChange:
    """A manager approves a pending downgrade: the account moves now."""
    require(actor, "packages.approve")
    change = PackageChange.objects.select_for_update().get(pk=change.pk)
    if change.status != ChangeStatus.PENDING:
        raise ValidationError(_("Only a change waiting for approval can be approved."))
    change.status = ChangeStatus.APPLIED
    change.reviewed_by, change.reviewed_at = actor, timezone.now()
    change.on = timezone.localdate()
    versioned_save(change, expected_version=None,
                   fields=["status", "reviewed_by", "reviewed_at", "on"])
    _apply(change.organization_id, [change], change.on)
    tell_owners(change.organization_id, [change])
    publish([change], actor)
    return change


@transaction.atomic
def change_reject(*, actor: User, change: PackageChange) -> PackageChange:
    """A manager keeps the customer in the package they have."""
    require(actor, "packages.approve")
    change = PackageChange.objects.select_for_update().get(pk=change.pk)
    if change.status != ChangeStatus.PENDING:
        raise ValidationError(_("Only a change waiting for approval can be rejected."))
    change.status = ChangeStatus.REJECTED
    change.reviewed_by, change.reviewed_at = actor, timezone.now()
    return versioned_save(change, expected_version=None,
                          fields=["status", "reviewed_by", "reviewed_at"])


def on_snapshot_recomputed(event: events.Occurrence) -> None:
    """Subscriber of ``snapshot.recomputed``: customers follow their new analytics at once."""
    if event.organization_id is None:
        return
    organization = Organization.objects.get(pk=event.organization_id)
    with organization_scope(organization):
        packages_evaluate(organization=organization)


# ---- loyalty tiers' packages -------------------------------------------------------------


def _ruled_package(organization_id: int, account_id: int) -> ServicePackage | None:
    """The package the rules give one account now: the highest rank whose rule matches."""
    for package in ServicePackage.all_objects.filter(
            organization_id=organization_id, active=True).order_by("-rank", "id"):
        if package.rule.get("conditions") and rules.matching(
                package.rule, subject="accounts", organization_id=organization_id).filter(
                pk=account_id).exists():
            return package
    return None


@transaction.atomic
def loyalty_benefit(*, organization_id: int, account_id: int, package_uuid: str | None,
                    reason: str) -> PackageChange | None:
    """Give (``package_uuid``) or take back (None) the package of a customer's loyalty tier.

    The customer gets the higher of the package the rules give and the tier's, as after a
    recompute: reaching the tier moves them up to its package (a better package stays);
    losing it hands them back to the package rules (a downgrade out of a package that
    requires approval waits for a manager). A customer set by hand stays where
    they are. Each move is a dated change decided by the loyalty tier, naming it."""
    Account.all_objects.select_for_update().filter(pk=account_id).first()
    row = AccountPackage.all_objects.filter(organization_id=organization_id,
                                            account_id=account_id).first()
    benefit = (ServicePackage.all_objects.filter(organization_id=organization_id,
                                                 uuid=package_uuid, active=True).first()
               if package_uuid else None)
    current = (ServicePackage.all_objects.get(pk=row.package_id) if row else None)
    if row is not None:
        row.benefit = benefit
        row.save(update_fields=["benefit", "updated_at"])
    if row is not None and row.pinned:
        return None
    if PackageChange.all_objects.filter(organization_id=organization_id, account_id=account_id,
                                        status=ChangeStatus.PENDING).exists():
        return None
    # as after a recompute: the higher of the rules' package and the tier's
    target = _ruled_package(organization_id, account_id)
    if benefit is not None and rank_of(target) < benefit.rank:
        target = benefit
    if target == current:
        return None
    status = (ChangeStatus.PENDING if needs_approval(current, target)
              else ChangeStatus.APPLIED)
    today = timezone.localdate()
    change = PackageChange.all_objects.create(
        organization_id=organization_id, account_id=account_id, from_package=current,
        to_package=target, on=today, decided_by=Decision.LOYALTY, reason=reason,
        status=status)
    if status == ChangeStatus.APPLIED:
        _apply(organization_id, [change], today)
        if benefit is not None:
            AccountPackage.all_objects.filter(organization_id=organization_id,
                                              account_id=account_id).update(benefit=benefit)
    tell_owners(organization_id, [change])
    change.account = Account.all_objects.get(pk=account_id)
    publish([change], None)
    return change


def on_loyalty_tier_changed(event: events.Occurrence) -> None:
    """Subscriber of ``loyalty_tier.changed``: the package of the tier reached, or the
    package rules again when the tier that gave one is lost."""
    data = event.data
    if event.organization_id is None or data.get("package_from") == data.get("package_to"):
        return
    organization = Organization.objects.get(pk=event.organization_id)
    account = Account.all_objects.filter(organization_id=organization.pk,
                                         uuid=data["account"]).first()
    if account is None:
        return
    if data.get("package_to"):
        reason = _("Reached the tier «%(tier)s» of the loyalty programme «%(program)s».")
    else:
        reason = _("Left the tier «%(tier)s» of the loyalty programme «%(program)s».")
    tier = data.get("to") if data.get("package_to") else data.get("from")
    with organization_scope(organization):
        loyalty_benefit(organization_id=organization.pk, account_id=account.pk,
                        package_uuid=data.get("package_to"),
                        reason=reason % {"tier": tier, "program": data.get("program_name")})
