"""Recurring contracts: an account's subscription to a product or plan, renewed term by term.

Each row is **one term** of a contract: it starts on ``start_date``, lasts ``term_months`` and
ends on its ``renewal_date``, when the customer renews (a new row, the next term, with
``origin`` pointing at the first term and ``sequence`` one higher; this row becomes
``renewed``) or leaves (``cancelled`` with a reason, or ``lapsed`` when the date passed with
no renewal). A term never changes its dates or value after the fact; a renewal at a new price
is a new term. The chain of terms of one contract is what the contractual retention model
(sBG, ``analytics.stats.sbg``) counts: how many renewal decisions a customer made before
leaving, or is still making.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.catalog.models import Product
from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel
from vinculo.customers.models import Account

#: The longest term a contract may have (ten years) and the farthest renewal notice.
MAX_TERM_MONTHS = 120
MAX_NOTICE_DAYS = 365


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RENEWED = "renewed", _("Renewed")
    CANCELLED = "cancelled", _("Cancelled")
    LAPSED = "lapsed", _("Lapsed")


#: A term that has ended the contract (the customer left).
ENDED = (ContractStatus.CANCELLED, ContractStatus.LAPSED)


class CancelReason(models.TextChoices):
    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Went to a competitor")
    NO_NEED = "no_need", _("No longer needed")
    SERVICE = "service", _("Service quality")
    BUSINESS_CLOSED = "closed", _("Business closed")
    NOT_RENEWED = "not_renewed", _("Not renewed in time")
    OTHER = "other", _("Other")


class Contract(TenantModel):
    """One term of a recurring contract of an account (see the module's docstring)."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT,
                                related_name="+")
    product = models.ForeignKey(Product, verbose_name=_("product or plan"),
                                on_delete=models.PROTECT, related_name="+", null=True,
                                blank=True)
    name = models.CharField(_("plan"), max_length=200)
    start_date = models.DateField(_("start date"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"), default=12)
    renewal_date = models.DateField(_("renewal date"), editable=False)
    value = models.DecimalField(_("value per term"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    auto_renew = models.BooleanField(
        _("renews automatically"), default=False,
        help_text=_("Renewed on its renewal date unless cancelled before; otherwise it lapses."))
    notice_days = models.PositiveSmallIntegerField(
        _("renewal notice (days)"), default=30,
        help_text=_("How many days before the renewal date the renewal is announced as due."))
    status = models.CharField(_("status"), max_length=10, choices=ContractStatus.choices,
                              default=ContractStatus.ACTIVE, editable=False)
    cancel_reason = models.CharField(_("reason for leaving"), max_length=20,
                                     choices=CancelReason.choices, blank=True, editable=False)
    cancel_note = models.TextField(_("note"), blank=True, max_length=TEXT_MAX_LENGTH,
                                   editable=False)
    ended_on = models.DateField(_("ended on"), null=True, blank=True, editable=False)
    # The chain: the first term of the contract (null on the first term itself) and this
    # term's place in it (1, 2, …). renewal_of: the term this one renews.
    origin = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", editable=False)
    renewal_of = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="renewed_by", editable=False)
    sequence = models.PositiveSmallIntegerField(_("term number"), default=1, editable=False)
    # The day the "renewal due" event went out for this term (once per term).
    renewal_notice_on = models.DateField(null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH)

    owner_field = ("account__owner",)  # the record rule of the contract's account
    team_field = ("account__team",)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="contract_value_not_negative"),
            models.CheckConstraint(
                condition=Q(term_months__gte=1) & Q(term_months__lte=MAX_TERM_MONTHS),
                name="contract_term_range"),
            models.CheckConstraint(condition=Q(renewal_date__gt=models.F("start_date")),
                                   name="contract_renewal_after_start"),
        ]
        indexes = [
            models.Index(fields=["organization", "account", "start_date"],
                         name="contract_account_start"),
            models.Index(fields=["organization", "status", "renewal_date"],
                         name="contract_status_renewal"),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.account}"

    @property
    def chain_id(self) -> int:
        """The id of the contract's first term: the same for every term of one contract."""
        return self.origin_id or self.pk
