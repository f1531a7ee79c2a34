"""Loyalty programmes: the programme (earn rules, tiers and rewards, checked JSON), its
members (accounts) and the append-only points ledger whose sum is the balance.

A member row is also the lock a redemption takes (``SELECT … FOR UPDATE``), so concurrent
redemptions of one member run one after the other and never overdraw; the balance itself is
never stored, only derived from the ledger.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class TierBasis(models.TextChoices):
    POINTS = "points", _("Points earned in the window")
    SPEND = "spend", _("Spend paid in the window")
    VALUE_TIER = "value_tier", _("Value tier in the latest analytics")


class Program(TenantModel):
    """A loyalty programme. ``earn_rules``, ``tiers`` and ``rewards`` are lists checked by
    ``loyalty.checks`` (errors keyed ``tiers[0].threshold``): small, edited as a whole, and
    read whole on every earning run, so one row carries them."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    active = models.BooleanField(_("active"), default=True)
    points_per_unit = models.DecimalField(
        _("points per currency unit"), max_digits=8, decimal_places=2, default=Decimal(1),
        help_text=_("Points earned per unit of the net amount of a paid invoice."))
    point_value = models.DecimalField(
        _("value of a point"), max_digits=10, decimal_places=4, default=Decimal("0.01"),
        help_text=_("What one point costs the company when redeemed, in the base currency."))
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"), default=24,
        help_text=_("0: points never expire. The oldest points are used or expire first."))
    tier_basis = models.CharField(_("tiers qualify by"), max_length=10,
                                  choices=TierBasis.choices, default=TierBasis.POINTS)
    tier_window_days = models.PositiveSmallIntegerField(
        _("tier window (days)"), default=365,
        help_text=_("The rolling window over which points or spend qualify for a tier."))
    earn_rules = models.JSONField(_("earn rules"), default=list, blank=True)
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    rewards = models.JSONField(_("rewards"), default=list, blank=True)

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Member(TenantModel):
    """An account enrolled in a programme since ``joined_on``; ``tier`` is the name of the tier
    it qualifies for now (recomputed after each earning run)."""

    program = models.ForeignKey(Program, verbose_name=_("programme"),
                                on_delete=models.PROTECT, related_name="members")
    account = models.ForeignKey("customers.Account", verbose_name=_("account"),
                                on_delete=models.PROTECT, related_name="+")
    joined_on = models.DateField(_("joined on"))
    tier = models.CharField(_("tier"), max_length=100, blank=True)

    owner_field = "account__owner"
    team_field = "account__team"

    class Meta:
        verbose_name = _("programme member")
        verbose_name_plural = _("programme members")
        ordering = ["-joined_on", "id"]
        constraints = [models.UniqueConstraint(fields=["program", "account"],
                                               name="loyalty_member_unique")]

    def __str__(self) -> str:
        return f"{self.account} · {self.program}"


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjusted")
    REVERSE = "reverse", _("Reversed")


class LedgerEntry(TenantModel):
    """One movement of points; rows are only ever added. ``points`` is signed (earn and a
    positive adjustment add; redeem, expire, reverse and a negative adjustment take away).
    An addition carries ``expires_on``; a reversal names the invoice whose earning it undoes
    and the credit note that caused it."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("movement"), max_length=10, choices=EntryKind.choices)
    points = models.IntegerField(_("points"))
    occurred_on = models.DateField(_("date"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    credit_note = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    reward = models.CharField(_("reward"), max_length=100, blank=True)
    code = models.CharField(_("coupon code"), max_length=40, blank=True)
    value = models.DecimalField(_("value"), null=True, blank=True, **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")

    audited = False  # the ledger is its own record
    owner_field = "member__account__owner"
    team_field = "member__account__team"

    class Meta:
        verbose_name = _("points movement")
        verbose_name_plural = _("points movements")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["member", "occurred_on"], name="loyalty_entry_member")]
        constraints = [
            # One earning per member and invoice: a redelivered invoice.paid earns nothing.
            models.UniqueConstraint(fields=["member", "invoice"],
                                    condition=models.Q(kind="earn"),
                                    name="loyalty_entry_one_earn"),
            models.UniqueConstraint(fields=["member", "credit_note"],
                                    condition=models.Q(kind="reverse"),
                                    name="loyalty_entry_one_reverse"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points}"
