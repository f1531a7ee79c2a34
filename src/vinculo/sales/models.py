"""Pipelines, opportunities and the documents of a sale: quotes, orders and deliveries."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import Team, TenantModel
from vinculo.customers.models import Account, Contact, Lead, SourceChannel

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}
PERCENT = {"max_digits": 5, "decimal_places": 2,
           "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]}


class Pipeline(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="pipeline_unique_name")
        ]
        verbose_name = _("pipeline")

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(TenantModel):
    """A step of a pipeline, with the default probability that an opportunity there is won."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(pgettext_lazy("position in a list", "order"))
    probability = models.DecimalField(_("win probability (%)"), **PERCENT)
    kind = models.CharField(_("kind"), max_length=5, choices=StageKind.choices,
                            default=StageKind.OPEN)

    class Meta:
        ordering = ["pipeline", "order"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "order"], name="stage_unique_order")
        ]
        verbose_name = _("stage")

    def __str__(self) -> str:
        return self.name


class LostReason(TenantModel):
    """One of the reasons an opportunity is lost, as the organisation names them (price,
    competitor, no budget…). Once the list has active reasons, a lost opportunity gives one."""

    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveSmallIntegerField(pgettext_lazy("position in a list", "order"),
                                             default=0)
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("Inactive reasons are no longer offered."))

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="lostreason_unique")
        ]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")

    def __str__(self) -> str:
        return self.name


class OpportunityStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Opportunity(TenantModel):
    """A possible sale to an account, moving through the stages of a pipeline."""

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT,
                                related_name="opportunities")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="opportunities")
    lead = models.ForeignKey(Lead, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="opportunities", editable=False)
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT,
                                 related_name="opportunities")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT,
                              related_name="opportunities")
    amount = models.DecimalField(_("amount"), default=Decimal("0.00"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    probability = models.DecimalField(_("win probability (%)"), **PERCENT)
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")
    source = models.CharField(_("source channel"), max_length=20, choices=SourceChannel.choices,
                              blank=True)
    status = models.CharField(_("status"), max_length=5, choices=OpportunityStatus.choices,
                              default=OpportunityStatus.OPEN)
    lost_reason = models.CharField(_("reason lost"), max_length=200, blank=True)
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    # What brought it in, set by a higher app (a marketing campaign): see ``Lead.origin_type``.
    origin_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+", editable=False)
    origin_id = models.BigIntegerField(null=True, blank=True, editable=False)

    owner_field = "owner"
    team_field = "team"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["organization", "pipeline", "status", "stage"],
                         name="opp_board"),
            models.Index(fields=["organization", "status", "expected_close"],
                         name="opp_forecast"),
        ]

    def __str__(self) -> str:
        return self.name


class OpportunityLine(TenantModel):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), default=Decimal(1), **QUANTITY)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(_("discount (%)"), default=Decimal(0), **PERCENT)

    audited = False

    class Meta:
        ordering = ["id"]
        verbose_name = _("opportunity line")
        verbose_name_plural = _("opportunity lines")

    def __str__(self) -> str:
        return self.description


class StageChange(TenantModel):
    """One move of an opportunity between stages: the stage history and time spent in each."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE,
                                    related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    seconds_in_previous = models.PositiveBigIntegerField(default=0)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")

    audited = False

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.from_stage} → {self.to_stage}"


# ---- documents of a sale -----------------------------------------------------------------


class DocumentLine(TenantModel):
    """Common columns of a priced line; amounts are computed by ``core.money`` and stored."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(_("discount (%)"), default=Decimal(0), **PERCENT)
    tax_rate = models.DecimalField(_("tax rate (%)"), default=Decimal(0), **PERCENT)
    net_amount = models.DecimalField(_("net"), default=Decimal(0), editable=False, **MONEY)
    tax_amount = models.DecimalField(_("tax"), default=Decimal(0), editable=False, **MONEY)
    total_amount = models.DecimalField(_("total"), default=Decimal(0), editable=False, **MONEY)
    position = models.PositiveSmallIntegerField(default=0)

    audited = False

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class PricedDocument(TenantModel):
    """Common columns of quotes, orders and invoices: a number, a customer, stored totals."""

    number = models.CharField(_("number"), max_length=30, editable=False)
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT,
                                related_name="+")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+")
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    net_amount = models.DecimalField(_("net"), default=Decimal(0), editable=False, **MONEY)
    tax_amount = models.DecimalField(_("tax"), default=Decimal(0), editable=False, **MONEY)
    total_amount = models.DecimalField(_("total"), default=Decimal(0), editable=False, **MONEY)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH)

    # A document follows the record rule of its account: a representative sees the documents
    # of the customers they or their team own (``TenantQuerySet.restrict``).
    owner_field = ("account__owner",)
    team_field = ("account__team",)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded by a new version")


class Quote(PricedDocument):
    """A priced offer; a change after sending makes a new version (same number, version + 1)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="quotes")
    revision = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=QuoteStatus.choices,
                              default=QuoteStatus.DRAFT)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number", "revision"],
                                    name="quote_unique_number_revision")
        ]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return f"{self.number} v{self.revision}"


class QuoteLine(DocumentLine):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(DocumentLine.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")


class OrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PARTIALLY_DELIVERED = "partial", _("Partially delivered")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class Order(PricedDocument):
    """A won sale: what the customer ordered and when it was promised."""

    quote = models.ForeignKey(Quote, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="orders")
    opportunity = models.ForeignKey(Opportunity, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="orders")
    ordered_on = models.DateField(_("order date"), default=timezone.localdate)
    promised_date = models.DateField(_("promised delivery date"))
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices,
                              default=OrderStatus.OPEN)
    delivered_on = models.DateField(_("fully delivered on"), null=True, blank=True,
                                    editable=False)

    class Meta:
        ordering = ["-ordered_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="order_unique_number")
        ]
        indexes = [models.Index(fields=["organization", "account", "ordered_on"],
                                name="order_account_date"),
                   # the orders that count, by date, with their account: segments' activity
                   # conditions ("an order in the last 365 days") read only this index
                   models.Index(fields=["organization", "ordered_on"], include=["account"],
                                condition=~models.Q(status=OrderStatus.CANCELLED),
                                name="order_kept_by_date")]
        verbose_name = _("order")
        verbose_name_plural = _("orders")


class OrderLine(DocumentLine):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    delivered_quantity = models.DecimalField(_("delivered"), default=Decimal(0), editable=False,
                                             **QUANTITY)

    class Meta(DocumentLine.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")


class Delivery(TenantModel):
    """Goods handed over for an order, complete or partial."""

    number = models.CharField(_("number"), max_length=30, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="deliveries")
    delivered_on = models.DateField(_("delivered on"), default=timezone.localdate)
    is_replacement = models.BooleanField(_("replacement for a return"), default=False)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH)

    owner_field = ("order__account__owner",)  # the record rule of the order's account
    team_field = ("order__account__team",)

    class Meta:
        ordering = ["-delivered_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"],
                                    name="delivery_unique_number")
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return self.number


class DeliveryLine(TenantModel):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT,
                                   related_name="delivery_lines")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)

    audited = False

    class Meta:
        ordering = ["id"]
        verbose_name = _("delivery line")
        verbose_name_plural = _("delivery lines")

    def __str__(self) -> str:
        return f"{self.delivery}: {self.quantity}"
