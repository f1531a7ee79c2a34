"""Business rules of recurring contracts: create, edit, renew, cancel, delete, and the daily
scan that renews what renews automatically, lapses what was not renewed and announces the
renewals coming due. Pages, the API, the job and the tests all write through here.

Events (declared in ``apps.py``): ``contract.created``, ``contract.renewed`` (on the new term),
``contract.cancelled``, ``contract.lapsed`` and ``contract.renewal_due`` (once per term, its
``notice_days`` before the renewal date) — what automation rules can act on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.contracts.models import (
    MAX_NOTICE_DAYS,
    MAX_TERM_MONTHS,
    CancelReason,
    Contract,
    ContractStatus,
)
from vinculo.core import events
from vinculo.core.deletion import delete_record
from vinculo.core.models import User
from vinculo.core.services import org_id, require, versioned_save
from vinculo.core.tenancy import organization_scope

log = logging.getLogger(__name__)

#: What a page or the API may set on a new term; the status, the chain and the renewal date
#: are the services' (the renewal date follows from the start and the term).
CREATE_FIELDS = ("account", "product", "name", "start_date", "term_months", "value", "currency",
                 "auto_renew", "notice_days", "notes")
#: What may change on an existing term. Dates, term and value only while it is the active term.
UPDATE_FIELDS = CREATE_FIELDS[1:]
_TERMS = ("start_date", "term_months", "value", "currency")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
#: A scan catches up at most this many automatic renewals of one contract (years of outage).
MAX_CATCH_UP = 240


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, the day clipped to the month's length (31 Jan + 1 = 28/29
    Feb): a term of 12 months from 29 Feb 2024 renews on 28 Feb 2025."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def _clean(contract: Contract, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Assign and validate ``data``; every error names its field, nothing is saved."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    errors: dict[str, str] = {}
    for key, value in data.items():
        if key in ("account", "product"):
            if value is not None and value.organization_id != contract.organization_id:
                errors[key] = _("Choose a record of your organisation.")
                continue
        elif key in ("name", "currency", "notes"):
            value = str(value or "").strip()
        setattr(contract, key, value)
    if not contract.account_id and "account" not in errors:
        errors["account"] = _("Choose the account the contract is with.")
    if not contract.name and contract.product is not None and "product" not in errors:
        contract.name = contract.product.name[:200]
    if not contract.name:
        errors["name"] = _("Name the plan, or choose a product.")
    if len(contract.name) > 200:
        errors["name"] = _("At most 200 characters.")
    if not isinstance(contract.start_date, dt.date):
        errors["start_date"] = _("Enter the date the contract starts.")
    term = contract.term_months
    if not isinstance(term, int) or isinstance(term, bool) or not 1 <= term <= MAX_TERM_MONTHS:
        errors["term_months"] = _("Enter a whole number of months from 1 to %(max)d.") % {
            "max": MAX_TERM_MONTHS}
    try:
        value = Decimal(str(contract.value))
        if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")) \
                or value >= Decimal("1e12"):
            raise InvalidOperation
        contract.value = value
    except (InvalidOperation, ValueError, TypeError):
        errors["value"] = _("Enter an amount of 0 or more with at most two decimals.")
    contract.currency = (contract.currency or _default_currency(contract)).upper()
    if not _CURRENCY.match(contract.currency):
        errors["currency"] = _("Enter a three-letter ISO 4217 currency code, e.g. EUR.")
    notice = contract.notice_days
    if (not isinstance(notice, int) or isinstance(notice, bool)
            or not 0 <= notice <= MAX_NOTICE_DAYS):
        errors["notice_days"] = _("Enter a whole number of days from 0 to %(max)d.") % {
            "max": MAX_NOTICE_DAYS}
    if errors:
        raise ValidationError(errors)
    contract.renewal_date = add_months(contract.start_date, contract.term_months)


def _default_currency(contract: Contract) -> str:
    """The organisation's base currency, the default of a contract's currency."""
    from vinculo.core.models import Organization

    org = Organization.objects.filter(pk=contract.organization_id).only("base_currency").first()
    return org.base_currency if org else ""


@transaction.atomic
def contract_create(*, actor: User, data: dict[str, Any]) -> Contract:
    """A new contract (its first term)."""
    require(actor, "contracts.add")
    contract = Contract(organization_id=org_id(actor))
    _clean(contract, dict(data), CREATE_FIELDS)
    contract.save()
    events.publish("contract.created", record=contract, actor=actor, data=_payload(contract))
    return contract


@transaction.atomic
def contract_update(*, actor: User, contract: Contract, data: dict[str, Any],
                    expected_version: int | None) -> Contract:
    """Edit a term. Its dates, term and value are what was agreed: they change only while it
    is the active term (a renewed or ended term is history)."""
    require(actor, "contracts.change")
    changed_terms = [k for k in _TERMS if k in data and data[k] != getattr(contract, k)]
    if changed_terms and contract.status != ContractStatus.ACTIVE:
        raise ValidationError({changed_terms[0]: _(
            "This term is %(status)s: its dates and value are history and cannot change.")
            % {"status": contract.get_status_display().lower()}})
    if "account" in data and data["account"] != contract.account:
        raise ValidationError({"account": _("A contract cannot move to another account.")})
    data = {k: v for k, v in data.items() if k != "account"}
    _clean(contract, data, UPDATE_FIELDS)
    versioned_save(contract, expected_version=expected_version,
                   fields=[*data, "renewal_date", "currency", "name"])
    return contract


@transaction.atomic
def contract_renew(*, actor: User | None, contract: Contract, value: Any = None,
                   term_months: Any = None) -> Contract:
    """Renew the active term on its renewal date: a new term (same plan; the value and term
    may change) starts that day; this one becomes ``renewed``. Returns the new term."""
    if actor is not None:
        require(actor, "contracts.change")
    current = Contract.all_objects.select_for_update().get(pk=contract.pk)
    if current.status != ContractStatus.ACTIVE:
        raise ValidationError({"status": _(
            "Only an active contract can be renewed; this one is %(status)s.")
            % {"status": current.get_status_display().lower()}})
    new = Contract(
        organization_id=current.organization_id, account_id=current.account_id,
        product_id=current.product_id, name=current.name, start_date=current.renewal_date,
        term_months=current.term_months if term_months in (None, "") else term_months,
        value=current.value if value in (None, "") else value, currency=current.currency,
        auto_renew=current.auto_renew, notice_days=current.notice_days, notes=current.notes,
        origin_id=current.origin_id or current.pk, renewal_of=current,
        sequence=current.sequence + 1)
    _clean(new, {}, ())
    new.save()
    current.status, current.ended_on = ContractStatus.RENEWED, current.renewal_date
    # saved (not a bulk update): the audit log records the term's end like any change
    versioned_save(current, expected_version=current.version, fields=["status", "ended_on"])
    events.publish("contract.renewed", record=new, actor=actor,
                   data={**_payload(new), "previous_renewal_date":
                         current.renewal_date.isoformat()})
    return new


@transaction.atomic
def contract_cancel(*, actor: User | None, contract: Contract, reason: str, note: str = "",
                    status: str = ContractStatus.CANCELLED) -> Contract:
    """The customer leaves: the active term ends on its renewal date (the period paid is
    served) and the contract is not renewed. ``reason`` is one of ``CancelReason``."""
    if actor is not None:
        require(actor, "contracts.change")
    if reason not in CancelReason.values:
        raise ValidationError({"reason": _("Choose why the customer is leaving.")})
    current = Contract.all_objects.select_for_update().get(pk=contract.pk)
    if current.status != ContractStatus.ACTIVE:
        raise ValidationError({"status": _(
            "Only an active contract can be cancelled; this one is %(status)s.")
            % {"status": current.get_status_display().lower()}})
    current.status, current.cancel_reason = status, reason
    current.cancel_note = str(note or "").strip()[:2000]
    current.ended_on = current.renewal_date
    versioned_save(current, expected_version=None,
                   fields=["status", "cancel_reason", "cancel_note", "ended_on"])
    name = "contract.lapsed" if status == ContractStatus.LAPSED else "contract.cancelled"
    events.publish(name, record=current, actor=actor,
                   data={**_payload(current), "reason": reason})
    return current


@transaction.atomic
def contract_delete(*, actor: User, contract: Contract) -> None:
    """Remove a term entered by mistake. A term that was renewed is history (refused: the
    renewal points to it); delete the latest term first."""
    require(actor, "contracts.delete")
    delete_record(contract)


def _payload(contract: Contract) -> dict[str, Any]:
    return {"account": str(contract.account.uuid), "name": contract.name,
            "renewal_date": contract.renewal_date.isoformat(),
            "value": str(contract.value), "currency": contract.currency,
            "term": contract.sequence}


# ---- the daily scan ----------------------------------------------------------------------------


@dataclass
class ScanResult:
    renewed: int = 0
    lapsed: int = 0
    due: int = 0
    errors: list[str] = field(default_factory=list)


def contracts_scan(*, today: dt.date | None = None,
                   organization_id: int | None = None) -> ScanResult:
    """Renew the automatically renewing terms whose renewal date has come (catching up
    several terms after an outage), lapse the others, and announce once per term the
    renewals due within their notice. One organisation's failure does not stop the others."""
    today = today or timezone.localdate()
    result = ScanResult()
    rows = Contract.all_objects.filter(status=ContractStatus.ACTIVE)
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    for org in rows.order_by().values_list("organization_id", flat=True).distinct():
        try:
            with organization_scope(org), transaction.atomic():
                _scan_organization(org, today, result)
        except Exception as exc:  # recorded and reported; the next organisation goes on
            log.exception("contract scan of organisation %s failed", org)
            result.errors.append(f"organisation {org}: {type(exc).__name__}: {exc}")
    return result


def _scan_organization(org: int, today: dt.date, result: ScanResult) -> None:
    active = Contract.all_objects.filter(organization_id=org, status=ContractStatus.ACTIVE)
    for contract in active.filter(renewal_date__lte=today).select_related("account"):
        if not contract.auto_renew:
            contract_cancel(actor=None, contract=contract, reason=CancelReason.NOT_RENEWED,
                            status=ContractStatus.LAPSED)
            result.lapsed += 1
            continue
        term = contract
        for _i in range(MAX_CATCH_UP):
            term = contract_renew(actor=None, contract=term)
            result.renewed += 1
            if term.renewal_date > today:
                break
    soon = today + dt.timedelta(days=MAX_NOTICE_DAYS)
    for contract in (active.filter(renewal_date__gt=today, renewal_date__lte=soon,
                                   renewal_notice_on__isnull=True)
                     .select_related("account")):
        if (contract.renewal_date - today).days <= contract.notice_days:
            contract.renewal_notice_on = today
            versioned_save(contract, expected_version=contract.version,
                           fields=["renewal_notice_on"])
            events.publish("contract.renewal_due", record=contract, actor=None, data={
                **_payload(contract), "days": (contract.renewal_date - today).days,
                "auto_renew": contract.auto_renew})
            result.due += 1
