"""The supplier's confirmation of what it can deliver, and staff's entry or correction of a
plan line: one new ``SupplierPlan`` row per confirmation or change (the history), with its
author and time, every field checked before anything is written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from vinculo.analytics.demand import MAX_HORIZON, add_months
from vinculo.catalog.models import Product, ProductSupplier
from vinculo.core import events
from vinculo.core.models import User
from vinculo.core.services import org_id, require
from vinculo.customers.models import Account
from vinculo.portal.models import PortalAction, PortalRole, PortalUser, SupplierPlan
from vinculo.portal.services import activity_record
from vinculo.portal.supplier_selectors import this_month

MAX_QUANTITY = Decimal("1e12")


def parse_month(value: Any) -> dt.date | None:
    """``2027-01`` or a date (its month); None when it is neither."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    parsed = parse_date(f"{text}-01") if len(text) == 7 else None
    try:
        parsed = parsed or parse_date(text)
    except ValueError:
        return None
    return parsed.replace(day=1) if parsed else None


def _quantity(value: Any) -> Decimal | None:
    try:
        quantity = Decimal(str(value).strip().replace(",", ".")) if value not in (None, "") \
            else None
    except InvalidOperation:
        return None
    if quantity is None or not quantity.is_finite():
        return None
    return quantity


def _checked(*, supplied: bool, month: Any, quantity: Any, delivery_on: Any
             ) -> tuple[dt.date, Decimal, dt.date]:
    """Month, quantity and delivery date of a plan line, each refused naming its field (all
    of them at once) before anything is written."""
    errors: dict[str, str] = {}
    if not supplied:
        errors["product"] = _("Your company does not supply this product.")
    first = this_month()
    when = parse_month(month)
    if when is None:
        errors["month"] = _("Choose a month.")
    elif when < first:
        errors["month"] = _("This month is over: plan this month or a later one.")
    elif when > add_months(first, MAX_HORIZON):
        errors["month"] = _("Plan at most two years ahead.")
    amount = _quantity(quantity)
    if amount is None:
        errors["quantity"] = _("Enter a quantity.")
    elif amount < 0:
        errors["quantity"] = _("A quantity cannot be negative.")
    elif amount != amount.quantize(Decimal("0.01")) or amount >= MAX_QUANTITY:
        errors["quantity"] = _("Use at most two decimal places.")
    date = delivery_on if isinstance(delivery_on, dt.date) else None
    if date is None:
        try:
            date = parse_date(str(delivery_on or "").strip())
        except ValueError:
            date = None
    if date is None:
        errors["delivery_on"] = _("Enter a date.")
    elif when is not None and "month" not in errors and not (
            when <= date < add_months(when, 1)):
        errors["delivery_on"] = _("Choose a day of the planned month.")
    elif date < first or date < dt.date.today():
        errors["delivery_on"] = _("This date is already past.")
    if errors:
        raise ValidationError(errors)
    assert when is not None and amount is not None and date is not None
    return when, amount, date


def _publish(plan: SupplierPlan, actor: User, entered_by: str) -> None:
    events.publish("supplier_plan.confirmed", record=plan, actor=actor,
                   data={"product": str(plan.product.uuid), "month": f"{plan.month:%Y-%m}",
                         "quantity": str(plan.quantity),
                         "delivery_on": plan.delivery_on.isoformat(),
                         "entered_by": entered_by})


@transaction.atomic
def plan_confirm(*, portal_user: PortalUser, product: Product | None, month: Any,
                 quantity: Any, delivery_on: Any) -> SupplierPlan:
    """The supplier can deliver ``quantity`` of ``product`` in ``month``, on ``delivery_on``."""
    if portal_user.role != PortalRole.SUPPLIER or not portal_user.is_active:
        raise PermissionDenied
    supplied = product is not None and ProductSupplier.objects.filter(
        supplier_id=portal_user.account_id, product=product, product__active=True).exists()
    when, amount, date = _checked(supplied=supplied, month=month, quantity=quantity,
                                  delivery_on=delivery_on)
    assert product is not None
    plan = SupplierPlan.objects.create(
        organization_id=portal_user.organization_id, supplier_id=portal_user.account_id,
        product=product, month=when, quantity=amount, delivery_on=date,
        portal_user=portal_user, author=portal_user.user)
    activity_record(portal_user, PortalAction.SUPPLY_PLANNED,
                    f"{product.full_code} {when:%Y-%m}")
    _publish(plan, portal_user.user, "supplier")
    return plan


@transaction.atomic
def plan_set(*, actor: User, link: ProductSupplier | None, month: Any, quantity: Any,
             delivery_on: Any) -> SupplierPlan:
    """Staff enter or correct a supplier's plan line (what the supplier said on the phone, a
    correction): a new row like the supplier's, with the staff member as its author, so the
    history says who changed what and when. Only on a supplier link of a supplier account the
    actor may see (another's is "not found")."""
    require(actor, "portal.plan")
    visible = link is not None and link.organization_id == org_id(actor) and (
        Account.objects.restrict(actor).filter(pk=link.supplier_id, is_supplier=True)
        .exists()) and link.product.active
    if not visible:
        raise ValidationError({"supplier": _("Not found.")})
    assert link is not None
    when, amount, date = _checked(supplied=True, month=month, quantity=quantity,
                                  delivery_on=delivery_on)
    plan = SupplierPlan.objects.create(
        organization_id=link.organization_id, supplier_id=link.supplier_id,
        product=link.product, month=when, quantity=amount, delivery_on=date,
        portal_user=None, author=actor)
    _publish(plan, actor, "staff")
    return plan
