"""The catalogue: categories → product lines → products and services, price lists, exchange rates.

Codes are digits of fixed width (category 2, line 2, product 4). A product's full code
``01-03-0007`` is stored on the product (kept in step by the services when a category or line
code changes) so that it can be unique per organisation and searched by prefix through an index.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel
from vinculo.customers.models import Account

CATEGORY_CODE_WIDTH = 2
LINE_CODE_WIDTH = 2
PRODUCT_CODE_WIDTH = 4
PRICE_DIGITS = {"max_digits": 14, "decimal_places": 2}


class ProductKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")


class Unit(models.TextChoices):
    UNIT = "unit", _("Unit")
    HOUR = "hour", _("Hour")
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    KG = "kg", _("Kilogram")
    LITRE = "l", _("Litre")
    METRE = "m", _("Metre")
    BOX = "box", _("Box")
    PACK = "pack", _("Pack")


class Category(TenantModel):
    """The first level of the catalogue; its two-digit code starts every product's full code."""

    code = models.CharField(_("code"), max_length=CATEGORY_CODE_WIDTH)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)

    class Meta:
        ordering = ["code", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="category_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProductLine(TenantModel):
    """A line inside a category; its two-digit code is unique within the category."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="lines"
    )
    code = models.CharField(_("code"), max_length=LINE_CODE_WIDTH)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)

    class Meta:
        ordering = ["category__code", "code", "id"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="productline_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.full_code} {self.name}"

    @property
    def full_code(self) -> str:
        return f"{self.category.code}-{self.code}"


class Product(TenantModel):
    """Something the company sells: a product or a service, with its prices and tax rate."""

    line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    code = models.CharField(_("code"), max_length=PRODUCT_CODE_WIDTH)
    # category-line-product, e.g. 01-03-0007; derived, kept in step by the services.
    full_code = models.CharField(_("full code"), max_length=12, editable=False)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=10, choices=ProductKind.choices, default=ProductKind.PRODUCT
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.UNIT)
    cost_price = models.DecimalField(_("cost price"), default=0, **PRICE_DIGITS)
    list_price = models.DecimalField(_("list price"), default=0, **PRICE_DIGITS)
    currency = models.CharField(_("currency"), max_length=3)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=0)
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    # Lower-cased, accent-free name: what the search box compares words with.
    search_text = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["full_code", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            # Also the index that serves the search by full-code prefix (a range scan).
            models.UniqueConstraint(
                fields=["organization", "full_code"], name="product_unique_full_code"
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100), name="product_tax_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(list_price__gte=0) & Q(cost_price__gte=0),
                name="product_prices_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "name", "id"], name="product_org_name"),
            models.Index(fields=["line", "code"], name="product_line_code"),
        ]

    def __str__(self) -> str:
        return f"{self.full_code} {self.name}"


class PriceList(TenantModel):
    """Prices in one currency, for one account, one customer segment, or everyone (general).

    Valid from ``valid_from`` to ``valid_to`` inclusive; an empty ``valid_to`` never ends.
    """

    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    segment = models.CharField(
        _("customer segment"),
        max_length=50,
        blank=True,
        help_text=_("A segment key such as “wholesale”; empty for a general or account list."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["currency", "-valid_from", "name", "id"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=True) | Q(segment=""),
                name="pricelist_account_or_segment",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="pricelist_valid_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "currency", "valid_from"], name="pricelist_org_cur_from"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    @property
    def scope(self) -> str:
        if self.account_id:
            return "account"
        return "segment" if self.segment else "general"


class PriceListItem(TenantModel):
    """The price of one product on one price list."""

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    price = models.DecimalField(_("price"), **PRICE_DIGITS)

    class Meta:
        ordering = ["price_list", "product__full_code", "id"]
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product"], name="pricelistitem_unique_product"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="pricelistitem_price_positive"),
        ]
        indexes = [models.Index(fields=["product", "price_list"], name="pricelistitem_product")]

    def __str__(self) -> str:
        return f"{self.price_list}: {self.product} = {self.price}"


class ExchangeRate(TenantModel):
    """From ``valid_on``: 1 unit of ``currency`` = ``rate`` units of the organisation's base
    currency (``Organization.base_currency``), until a later rate of the same currency."""

    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=10)
    valid_on = models.DateField(_("valid on"))

    class Meta:
        ordering = ["currency", "-valid_on", "id"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            # Also the index of "the latest rate on or before a date".
            models.UniqueConstraint(
                fields=["organization", "currency", "valid_on"], name="exchangerate_unique_day"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchangerate_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.valid_on}: {self.rate}"


class ProductSupplier(TenantModel):
    """A supplier account that can deliver a product: its own code for it, lead time, cost."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="suppliers"
    )
    supplier = models.ForeignKey(
        Account, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="+"
    )
    supplier_code = models.CharField(_("supplier's product code"), max_length=40, blank=True)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=0)
    cost = models.DecimalField(_("cost"), default=0, **PRICE_DIGITS)
    currency = models.CharField(_("currency"), max_length=3)

    owner_field = "supplier__owner"  # the rule of the record it belongs to
    team_field = "supplier__team"

    class Meta:
        ordering = ["product__full_code", "supplier__name", "id"]
        verbose_name = _("product supplier")
        verbose_name_plural = _("product suppliers")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "supplier"], name="productsupplier_unique_supplier"
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="productsupplier_cost_positive"),
        ]
        indexes = [
            models.Index(fields=["organization", "supplier"], name="productsupplier_supplier")
        ]

    def __str__(self) -> str:
        return f"{self.product} ← {self.supplier}"
