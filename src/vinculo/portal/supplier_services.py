"""The supplier's confirmation of what it can deliver: one new ``SupplierPlan`` row per
confirmation or change (the history), every field checked before anything is written."""

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
from vinculo.portal.models import PortalAction, PortalRole, PortalUser, SupplierPlan
from vinculo.portal.services import activity_record
from vinculo.portal.supplier_selectors import this_month

MAX_QUANTITY = Decimal("1e12")


def _month(value: Any) -> dt.date | None:
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


@transaction.atomic
def plan_confirm(*, portal_user: PortalUser, product: Product | None, month: Any,
                 quantity: Any, delivery_on: Any) -> SupplierPlan:
    """The supplier can deliver ``quantity`` of ``product`` in ``month``, on ``delivery_on``."""
    if portal_user.role != PortalRole.SUPPLIER or not portal_user.is_active:
        raise PermissionDenied
    errors: dict[str, str] = {}
    supplied = product is not None and ProductSupplier.objects.filter(
        supplier_id=portal_user.account_id, product=product, product__active=True).exists()
    if not supplied:
        errors["product"] = _("Your company does not supply this product.")
    first = this_month()
    when = _month(month)
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
    assert product is not None and when is not None and amount is not None and date is not None
    plan = SupplierPlan.objects.create(
        organization_id=portal_user.organization_id, supplier_id=portal_user.account_id,
        product=product, month=when, quantity=amount, delivery_on=date,
        portal_user=portal_user, author=portal_user.user)
    activity_record(portal_user, PortalAction.SUPPLY_PLANNED,
                    f"{product.full_code} {when:%Y-%m}")
    events.publish("supplier_plan.confirmed", record=plan, actor=portal_user.user,
                   data={"product": str(product.uuid), "month": f"{when:%Y-%m}",
                         "quantity": str(amount), "delivery_on": date.isoformat()})
    return plan
