"""Product ↔ supplier links: who can deliver a product, under which code, how fast, at what
cost. The supplier portal reads them to know which products a supplier sees."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from vinculo.catalog.models import Product, ProductSupplier
from vinculo.catalog.services import clean_currency
from vinculo.core.models import User
from vinculo.core.services import require, versioned_save
from vinculo.customers.models import Account

SUPPLIER_FIELDS = ("supplier_code", "lead_time_days", "cost", "currency")
MAX_LEAD_TIME_DAYS = 3650


def _clean(product: Product, supplier: Account | None, data: dict[str, Any]) -> dict[str, Any]:
    """Every field checked before anything is written; all errors at once, each named."""
    errors: dict[str, str] = {}
    unknown = set(data) - set(SUPPLIER_FIELDS)
    for name in sorted(unknown):
        errors[name] = _("This field cannot be set.")
    if supplier is not None and (supplier.organization_id != product.organization_id
                                 or not supplier.is_supplier or not supplier.active):
        errors["supplier"] = _("Choose an active account marked as a supplier.")
    out: dict[str, Any] = {}
    code = str(data.get("supplier_code") or "").strip()
    if len(code) > 40:
        errors["supplier_code"] = _("Use at most 40 characters.")
    out["supplier_code"] = code
    try:
        lead = int(str(data.get("lead_time_days", 0) or 0).strip())
        if not 0 <= lead <= MAX_LEAD_TIME_DAYS:
            raise ValueError
        out["lead_time_days"] = lead
    except ValueError:
        errors["lead_time_days"] = _("Enter whole days between 0 and 3650.")
    try:
        cost = Decimal(str(data.get("cost", 0) or 0).strip())
        if not cost.is_finite() or cost < 0:
            raise InvalidOperation
        if cost != cost.quantize(Decimal("0.01")) or cost >= Decimal("1e12"):
            errors["cost"] = _("Use at most two decimal places.")
        out["cost"] = cost
    except (InvalidOperation, ValueError):
        errors["cost"] = _("Enter a cost of zero or more.")
    try:
        out["currency"] = clean_currency(data.get("currency") or product.currency)
    except ValidationError:
        errors["currency"] = _("Enter a three-letter ISO 4217 currency code, e.g. EUR.")
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def product_supplier_set(*, actor: User, product: Product, supplier: Account,
                         data: dict[str, Any]) -> ProductSupplier:
    """Link ``supplier`` to ``product`` (or change the existing link: one per pair)."""
    require(actor, "catalog.change")
    values = _clean(product, supplier, data)
    link = ProductSupplier.all_objects.filter(product=product, supplier=supplier).first()
    if link is None:
        link = ProductSupplier(organization_id=product.organization_id, product=product,
                               supplier=supplier, **values)
        try:
            with transaction.atomic():
                link.save()
        except IntegrityError:
            raise ValidationError(
                {"supplier": _("This supplier is already linked to the product.")}) from None
        return link
    for name, value in values.items():
        setattr(link, name, value)
    versioned_save(link, expected_version=None, fields=list(values))
    return link


@transaction.atomic
def product_supplier_update(*, actor: User, link: ProductSupplier, data: dict[str, Any],
                            expected_version: int | None = None) -> ProductSupplier:
    require(actor, "catalog.change")
    current = {name: getattr(link, name) for name in SUPPLIER_FIELDS}
    values = _clean(link.product, None, {**current, **data})
    for name, value in values.items():
        setattr(link, name, value)
    versioned_save(link, expected_version=expected_version, fields=list(values))
    return link


@transaction.atomic
def product_supplier_delete(*, actor: User, link: ProductSupplier) -> None:
    require(actor, "catalog.change")
    link.delete()
