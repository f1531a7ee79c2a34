"""Reads of the catalogue: product search, price resolution and currency conversion.

Both ``price_for`` and ``convert`` read through the scoped managers, so they must run inside an
organisation scope (pages, the API and tasks already are); outside one they raise ``ScopeError``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from vinculo.catalog.models import ExchangeRate, PriceList, PriceListItem, Product
from vinculo.core.models import Organization
from vinculo.core.money import to_cents
from vinculo.core.tenancy import ScopeError, current_organization_id
from vinculo.customers import normalize
from vinculo.customers.models import Account

_CODE_PREFIX = re.compile(r"^[0-9][0-9-]*$")


class ExchangeRateMissingError(ValidationError):
    """No exchange rate of a currency on or before the date: the amount cannot be converted.

    A ``ValidationError`` keyed ``currency``, so pages and the API show it on that field (the API
    answers 400); callers may catch this class to offer another currency.
    """

    def __init__(self, currency: str, on_date: dt.date) -> None:
        super().__init__(
            {
                "currency": _(
                    "No exchange rate for %(currency)s on or before %(date)s; "
                    "add one under Catalogue → Exchange rates."
                )
                % {"currency": currency, "date": on_date.isoformat()}
            }
        )
        self.currency = currency
        self.on_date = on_date


# ---- products --------------------------------------------------------------------------------


def code_prefix_range(prefix: str) -> tuple[str, str]:
    """``(lower, upper)`` such that ``lower <= code < upper`` ⇔ ``code.startswith(prefix)``.

    A range, not ``LIKE 'prefix%'``: SQLite and PostgreSQL with a non-C collation serve a range
    from the b-tree of the unique (organisation, full code) constraint, not a LIKE.
    """
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def product_search(queryset: QuerySet, query: str) -> QuerySet:
    """The search box: a code prefix (``01-03``) by index range, otherwise words of the name
    (accents and case ignored)."""
    term = (query or "").strip()
    if not term:
        return queryset
    if _CODE_PREFIX.match(term):
        lower, upper = code_prefix_range(term)
        return queryset.filter(full_code__gte=lower, full_code__lt=upper)
    return queryset.filter(search_text__contains=normalize.fold(term))


def product_by_code(full_code: str) -> Product | None:
    return Product.objects.filter(full_code=full_code).select_related("line__category").first()


# ---- exchange rates and conversion -----------------------------------------------------------


def _organization(organization: Organization | int | None) -> Organization:
    if isinstance(organization, Organization):
        return organization
    org_id = organization if organization is not None else current_organization_id()
    if org_id is None:
        raise ScopeError("convert() needs an organisation in scope.")
    return Organization.objects.get(pk=org_id)


def rate_on(
    currency: str, on_date: dt.date, *, organization: Organization | int | None = None
) -> Decimal:
    """Units of the base currency for 1 ``currency``: the latest rate on or before ``on_date``
    (the base currency itself is 1); raises ``ExchangeRateMissingError`` when there is none."""
    org = _organization(organization)
    currency = currency.upper()
    if currency == org.base_currency:
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(organization=org, currency=currency, valid_on__lte=on_date)
        .order_by("-valid_on")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ExchangeRateMissingError(currency, on_date)
    return rate


def convert(
    amount: Decimal,
    from_currency: str,
    to_currency: str,
    on_date: dt.date,
    *,
    organization: Organization | int | None = None,
) -> Decimal:
    """``amount`` of ``from_currency`` in ``to_currency`` on ``on_date``, rounded to cents.

    Through the base currency: amount × rate(from) ÷ rate(to), each rate the latest on or before
    the date. The organisation is the one in scope unless given. Raises
    ``ExchangeRateMissingError`` (a ``ValidationError`` on ``currency``) when a rate is missing.
    """
    amount = Decimal(amount)
    if from_currency.upper() == to_currency.upper():
        return to_cents(amount)
    org = _organization(organization)
    from_rate = rate_on(from_currency, on_date, organization=org)
    to_rate = rate_on(to_currency, on_date, organization=org)
    return to_cents(amount * from_rate / to_rate)


# ---- price resolution ------------------------------------------------------------------------

SOURCE_ACCOUNT = "account"
SOURCE_SEGMENT = "segment"
SOURCE_GENERAL = "general"
SOURCE_LIST_PRICE = "list_price"


@dataclass(frozen=True)
class ResolvedPrice:
    """A unit price and where it came from (``source`` is one of the ``SOURCE_*`` names)."""

    amount: Decimal
    currency: str
    source: str
    price_list: PriceList | None = None


def valid_price_lists(*, currency: str, on_date: dt.date) -> QuerySet:
    """Active lists in ``currency`` valid on ``on_date`` (both ends inclusive)."""
    return PriceList.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on_date),
        active=True,
        currency=currency.upper(),
        valid_from__lte=on_date,
    )


def price_for(
    *,
    product: Product,
    account: Account | None = None,
    segment: str | None = None,
    currency: str,
    on_date: dt.date,
) -> ResolvedPrice:
    """The unit price of ``product`` for a customer, in ``currency``, on ``on_date``.

    Precedence, considering only active price lists in ``currency`` that are valid on the date
    (``valid_from <= on_date <= valid_to``, an empty ``valid_to`` never ends) and price the
    product:

    1. a list for ``account``;
    2. a list for ``segment`` (the segment key, e.g. ``"wholesale"``);
    3. a general list (neither account nor segment);
    4. the product's list price, converted from its currency with ``convert`` (which raises
       ``ExchangeRateMissingError`` if a rate is missing).

    Within one level, when several lists overlap, the one with the latest ``valid_from`` wins
    (then the most recently created). One query decides levels 1–3.
    """
    currency = currency.upper()
    audience = Q(price_list__account__isnull=True, price_list__segment="")
    level = [When(price_list__account__isnull=True, price_list__segment="", then=Value(3))]
    if account is not None:
        audience |= Q(price_list__account=account)
        level.insert(0, When(price_list__account=account, then=Value(1)))
    if segment:
        audience |= Q(price_list__account__isnull=True, price_list__segment=segment)
        level.insert(
            len(level) - 1,
            When(price_list__account__isnull=True, price_list__segment=segment, then=Value(2)),
        )
    item = (
        PriceListItem.objects.filter(
            audience,
            product=product,
            price_list__in=valid_price_lists(currency=currency, on_date=on_date),
        )
        .annotate(level=Case(*level, output_field=IntegerField()))
        .select_related("price_list")
        .order_by("level", "-price_list__valid_from", "-price_list__created_at", "-price_list_id")
        .first()
    )
    if item is not None:
        source = {1: SOURCE_ACCOUNT, 2: SOURCE_SEGMENT, 3: SOURCE_GENERAL}[item.level]
        return ResolvedPrice(item.price, currency, source, item.price_list)
    amount = convert(
        product.list_price,
        product.currency,
        currency,
        on_date,
        organization=product.organization_id,
    )
    return ResolvedPrice(amount, currency, SOURCE_LIST_PRICE, None)


def product_price_lists(product: Product) -> QuerySet:
    """The items that price ``product``, with their lists, newest lists first."""
    return (
        PriceListItem.objects.filter(product=product)
        .select_related("price_list", "price_list__account")
        .order_by("price_list__currency", "-price_list__valid_from", "price_list__name")
    )
