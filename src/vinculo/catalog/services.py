"""Business rules of the catalogue: every write to categories, lines, products, price lists and
exchange rates comes through here (pages, the API, the admin actions and tests alike).

Code changes: a category's or line's code may be changed while products use it; the service
rewrites the full codes of every product below it in the same transaction (and bumps their
version, so an editor holding a stale copy gets a conflict instead of an old code).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from vinculo.catalog.models import (
    CATEGORY_CODE_WIDTH,
    LINE_CODE_WIDTH,
    PRODUCT_CODE_WIDTH,
    Category,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductLine,
)
from vinculo.core.deletion import delete_record
from vinculo.core.models import TenantModel, User
from vinculo.core.services import org_id, organization_of, require, versioned_save
from vinculo.customers import normalize

CATEGORY_FIELDS = ("code", "name", "description")
LINE_FIELDS = ("code", "name", "description")
PRODUCT_FIELDS = (
    "line",
    "code",
    "name",
    "kind",
    "unit",
    "cost_price",
    "list_price",
    "currency",
    "tax_rate",
    "active",
    "description",
)
PRICE_LIST_FIELDS = ("name", "currency", "account", "segment", "valid_from", "valid_to", "active")
RELATIONS = ("line", "account")

_CURRENCY = re.compile(r"^[A-Z]{3}$")



# ---- validation helpers ----------------------------------------------------------------------


def clean_code(value: Any, *, width: int, field: str = "code") -> str:
    """Digits only, exactly ``width`` of them; the error names ``field``."""
    code = str(value if value is not None else "").strip()
    if not (len(code) == width and code.isascii() and code.isdigit()):
        raise ValidationError(
            {
                field: _("Enter exactly %(width)d digits, e.g. %(example)s.")
                % {"width": width, "example": "0" * (width - 1) + "7"}
            }
        )
    return code


def clean_currency(value: Any, *, field: str = "currency") -> str:
    """An ISO 4217 code: three letters, stored upper-case."""
    code = str(value or "").strip().upper()
    if not _CURRENCY.match(code):
        raise ValidationError({field: _("Enter a three-letter ISO 4217 currency code, e.g. EUR.")})
    return code


def full_code(category_code: str, line_code: str, product_code: str) -> str:
    return f"{category_code}-{line_code}-{product_code}"


def _assign(instance: TenantModel, data: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    for key, value in data.items():
        if key in RELATIONS:
            if value is not None and value.organization_id != instance.organization_id:
                raise ValidationError({key: _("Choose a record of your organisation.")})
            setattr(instance, key, value)
            continue
        field = instance._meta.get_field(key)
        if value is None and isinstance(field, models.CharField | models.TextField):
            value = ""
        if isinstance(value, str) and isinstance(field, models.CharField):
            value = value.strip()
        setattr(instance, key, value)
    return list(data)


def _full_clean(instance: TenantModel, exclude: tuple[str, ...] = ()) -> None:
    instance.full_clean(
        exclude=["organization", *exclude], validate_unique=False, validate_constraints=False
    )


def _save(
    instance: TenantModel,
    *,
    duplicate: dict[str, str],
    fields: list[str] | None = None,
    expected_version: int | None = None,
) -> None:
    """Save in a savepoint; a unique-constraint race becomes an error naming the field."""
    try:
        with transaction.atomic():
            if fields is None:
                instance.save()
            else:
                versioned_save(instance, expected_version=expected_version, fields=fields)
    except IntegrityError:
        raise ValidationError(duplicate) from None


def _delete(instance: TenantModel, message: str) -> None:
    """Delete; rows that still point to it refuse it naming them (``core.deletion``)."""
    try:
        delete_record(instance)
    except IntegrityError:
        raise ValidationError(message) from None


# ---- categories ------------------------------------------------------------------------------


def _category_duplicate(code: str) -> dict[str, str]:
    return {"code": _("A category with code %(code)s already exists.") % {"code": code}}


def _check_category(category: Category) -> None:
    category.code = clean_code(category.code, width=CATEGORY_CODE_WIDTH)
    _full_clean(category)
    taken = Category.all_objects.filter(
        organization_id=category.organization_id, code=category.code
    )
    if taken.exclude(pk=category.pk).exists():
        raise ValidationError(_category_duplicate(category.code))


@transaction.atomic
def category_create(*, actor: User, data: dict[str, Any]) -> Category:
    require(actor, "catalog.add")
    category = Category(organization_id=org_id(actor))
    _assign(category, data, CATEGORY_FIELDS)
    _check_category(category)
    _save(category, duplicate=_category_duplicate(category.code))
    return category


@transaction.atomic
def category_update(
    *, actor: User, category: Category, data: dict[str, Any], expected_version: int | None
) -> Category:
    """Update a category; a new code rewrites the full code of every product below it."""
    require(actor, "catalog.change")
    old_code = Category.all_objects.values_list("code", flat=True).get(pk=category.pk)
    fields = _assign(category, data, CATEGORY_FIELDS)
    _check_category(category)
    _save(
        category,
        duplicate=_category_duplicate(category.code),
        fields=fields,
        expected_version=expected_version,
    )
    if category.code != old_code:
        for line in ProductLine.all_objects.filter(category=category):
            _rewrite_full_codes(line, category.code)
    return category


@transaction.atomic
def category_delete(*, actor: User, category: Category) -> None:
    require(actor, "catalog.delete")
    _delete(category, _("This category still has product lines; remove them first."))


# ---- product lines ---------------------------------------------------------------------------


def _line_duplicate(category: Category, code: str) -> dict[str, str]:
    return {
        "code": _("Category %(category)s already has a line with code %(code)s.")
        % {"category": category.code, "code": code}
    }


def _check_line(line: ProductLine) -> None:
    line.code = clean_code(line.code, width=LINE_CODE_WIDTH)
    _full_clean(line, exclude=("category",))
    taken = ProductLine.all_objects.filter(category_id=line.category_id, code=line.code)
    if taken.exclude(pk=line.pk).exists():
        raise ValidationError(_line_duplicate(line.category, line.code))


def _rewrite_full_codes(line: ProductLine, category_code: str) -> int:
    """Set ``full_code`` of the line's products from the current codes, in one UPDATE."""
    prefix = f"{category_code}-{line.code}-"
    return Product.all_objects.filter(line=line).update(
        full_code=Concat(Value(prefix), F("code"), output_field=models.CharField()),
        version=F("version") + 1,
    )


@transaction.atomic
def product_line_create(*, actor: User, category: Category, data: dict[str, Any]) -> ProductLine:
    require(actor, "catalog.add")
    if category.organization_id != org_id(actor):
        raise ValidationError({"category": _("Choose a record of your organisation.")})
    line = ProductLine(organization_id=org_id(actor), category=category)
    _assign(line, data, LINE_FIELDS)
    _check_line(line)
    _save(line, duplicate=_line_duplicate(category, line.code))
    return line


@transaction.atomic
def product_line_update(
    *, actor: User, line: ProductLine, data: dict[str, Any], expected_version: int | None
) -> ProductLine:
    """Update a line; a new code rewrites the full code of every product in it."""
    require(actor, "catalog.change")
    old_code = ProductLine.all_objects.values_list("code", flat=True).get(pk=line.pk)
    fields = _assign(line, data, LINE_FIELDS)
    _check_line(line)
    _save(
        line,
        duplicate=_line_duplicate(line.category, line.code),
        fields=fields,
        expected_version=expected_version,
    )
    if line.code != old_code:
        _rewrite_full_codes(line, line.category.code)
    return line


@transaction.atomic
def product_line_delete(*, actor: User, line: ProductLine) -> None:
    require(actor, "catalog.delete")
    _delete(line, _("This line still has products; remove or move them first."))


# ---- products --------------------------------------------------------------------------------


def _product_duplicate(code: str) -> dict[str, str]:
    return {"code": _("A product with code %(code)s already exists.") % {"code": code}}


def _check_product(product: Product) -> None:
    if product.line_id is None:
        raise ValidationError({"line": _("Choose the product line.")})
    product.code = clean_code(product.code, width=PRODUCT_CODE_WIDTH)
    product.currency = clean_currency(product.currency)
    line = product.line
    product.full_code = full_code(line.category.code, line.code, product.code)
    product.search_text = normalize.fold(product.name)[:200]
    _full_clean(product, exclude=("line",))  # converts the numbers, or names the bad field
    for name in ("cost_price", "list_price"):
        if getattr(product, name) < 0:
            raise ValidationError({name: _("A price cannot be negative.")})
    if not Decimal(0) <= product.tax_rate <= Decimal(100):
        raise ValidationError({"tax_rate": _("Enter a percentage between 0 and 100.")})
    taken = Product.all_objects.filter(
        organization_id=product.organization_id, full_code=product.full_code
    )
    if taken.exclude(pk=product.pk).exists():
        raise ValidationError(_product_duplicate(product.full_code))


@transaction.atomic
def product_create(*, actor: User, data: dict[str, Any]) -> Product:
    """Create a product or service; ``data["line"]`` is its ProductLine."""
    require(actor, "catalog.add")
    product = Product(organization_id=org_id(actor))
    if not data.get("currency"):
        data = {**data, "currency": organization_of(actor).base_currency}
    _assign(product, data, PRODUCT_FIELDS)
    _check_product(product)
    _save(product, duplicate=_product_duplicate(product.full_code))
    return product


@transaction.atomic
def product_update(
    *, actor: User, product: Product, data: dict[str, Any], expected_version: int | None
) -> Product:
    require(actor, "catalog.change")
    fields = _assign(product, data, PRODUCT_FIELDS)
    _check_product(product)
    _save(
        product,
        duplicate=_product_duplicate(product.full_code),
        fields=[*fields, "full_code", "search_text"],
        expected_version=expected_version,
    )
    return product


@transaction.atomic
def product_delete(*, actor: User, product: Product) -> None:
    require(actor, "catalog.delete")
    _delete(product, _("This product is in use; deactivate it instead."))


@transaction.atomic
def product_deactivate(*, actor: User, product: Product) -> Product:
    """What to do with a product that document lines still point to: it leaves the pickers
    and keeps its history (deleting it is refused)."""
    require(actor, "catalog.delete")
    return product_update(actor=actor, product=product, data={"active": False},
                          expected_version=None)


# ---- price lists -----------------------------------------------------------------------------


def _check_price_list(price_list: PriceList) -> None:
    price_list.currency = clean_currency(price_list.currency)
    if price_list.account_id and price_list.segment:
        raise ValidationError(
            {"segment": _("A price list is for one account or one segment, not both.")}
        )
    _full_clean(price_list, exclude=("account",))
    if price_list.valid_to is not None and price_list.valid_to < price_list.valid_from:
        raise ValidationError({"valid_to": _("The end date cannot be before the start date.")})


@transaction.atomic
def price_list_create(*, actor: User, data: dict[str, Any]) -> PriceList:
    require(actor, "catalog.add")
    price_list = PriceList(organization_id=org_id(actor))
    _assign(price_list, data, PRICE_LIST_FIELDS)
    _check_price_list(price_list)
    price_list.save()
    return price_list


@transaction.atomic
def price_list_update(
    *, actor: User, price_list: PriceList, data: dict[str, Any], expected_version: int | None
) -> PriceList:
    require(actor, "catalog.change")
    fields = _assign(price_list, data, PRICE_LIST_FIELDS)
    _check_price_list(price_list)
    versioned_save(price_list, expected_version=expected_version, fields=fields)
    return price_list


@transaction.atomic
def price_list_delete(*, actor: User, price_list: PriceList) -> None:
    require(actor, "catalog.delete")
    _delete(price_list, _("This price list is in use."))


def _check_price(price: Any) -> Decimal:
    try:
        value = Decimal(str(price))
    except ArithmeticError:
        raise ValidationError({"price": _("Enter a number.")}) from None
    if not value.is_finite() or value < 0:
        raise ValidationError({"price": _("A price cannot be negative.")})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({"price": _("Use at most two decimal places.")})
    return value


@transaction.atomic
def price_list_item_create(
    *, actor: User, price_list: PriceList, product: Product, price: Decimal
) -> PriceListItem:
    """Put ``product`` on ``price_list`` at ``price`` (replacing its previous price there, so
    creating an item twice keeps one row)."""
    require(actor, "catalog.change")
    if product.organization_id != price_list.organization_id:
        raise ValidationError({"product": _("Choose a record of your organisation.")})
    value = _check_price(price)
    item = PriceListItem.all_objects.filter(price_list=price_list, product=product).first()
    if item is None:
        item = PriceListItem(
            organization_id=price_list.organization_id,
            price_list=price_list,
            product=product,
            price=value,
        )
        _save(item, duplicate={"product": _("This product is already on the price list.")})
    elif item.price != value:
        item.price = value
        versioned_save(item, expected_version=None, fields=["price"])
    return item


@transaction.atomic
def price_list_item_update(
    *, actor: User, item: PriceListItem, price: Decimal, expected_version: int | None
) -> PriceListItem:
    require(actor, "catalog.change")
    item.price = _check_price(price)
    versioned_save(item, expected_version=expected_version, fields=["price"])
    return item


@transaction.atomic
def price_list_item_delete(*, actor: User, item: PriceListItem) -> None:
    require(actor, "catalog.change")
    item.delete()


# ---- exchange rates --------------------------------------------------------------------------


@transaction.atomic
def exchange_rate_create(
    *, actor: User, currency: str, rate: Decimal, valid_on: dt.date
) -> ExchangeRate:
    """Record that from ``valid_on`` 1 ``currency`` = ``rate`` × the base currency (one per day;
    setting a day again replaces its rate)."""
    require(actor, "catalog.change")
    currency = clean_currency(currency)
    if currency == organization_of(actor).base_currency:
        raise ValidationError({"currency": _("The base currency needs no rate: it is always 1.")})
    try:
        value = Decimal(str(rate))
    except ArithmeticError:
        raise ValidationError({"rate": _("Enter a number.")}) from None
    if not value.is_finite() or value <= 0:
        raise ValidationError({"rate": _("The rate must be greater than zero.")})
    if valid_on is None:
        raise ValidationError({"valid_on": _("This field is required.")})
    existing = ExchangeRate.all_objects.filter(
        organization_id=org_id(actor), currency=currency, valid_on=valid_on
    ).first()
    if existing is not None:
        existing.rate = value
        _full_clean(existing)
        versioned_save(existing, expected_version=None, fields=["rate"])
        return existing
    rate_row = ExchangeRate(
        organization_id=org_id(actor), currency=currency, rate=value, valid_on=valid_on
    )
    _full_clean(rate_row)
    _save(rate_row, duplicate={"valid_on": _("This currency already has a rate on that day.")})
    return rate_row


@transaction.atomic
def exchange_rate_update(
    *, actor: User, exchange_rate: ExchangeRate, rate: Decimal, expected_version: int | None
) -> ExchangeRate:
    require(actor, "catalog.change")
    try:
        value = Decimal(str(rate))
    except ArithmeticError:
        raise ValidationError({"rate": _("Enter a number.")}) from None
    if not value.is_finite() or value <= 0:
        raise ValidationError({"rate": _("The rate must be greater than zero.")})
    exchange_rate.rate = value
    _full_clean(exchange_rate)
    versioned_save(exchange_rate, expected_version=expected_version, fields=["rate"])
    return exchange_rate


@transaction.atomic
def exchange_rate_delete(*, actor: User, exchange_rate: ExchangeRate) -> None:
    require(actor, "catalog.delete")
    exchange_rate.delete()
