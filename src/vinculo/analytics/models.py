"""Dated per-customer snapshots, recomputation runs and activity-based cost rates.

``CustomerSnapshot`` rows are written in bulk by ``services.recompute`` (one row per account and
date, upserted), never edited by people, so they are not audited and carry no public UUID;
they are read through the account's UUID. Older snapshots are kept so that migration between
segments can be counted between any two dates.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import Organization, TenantManager, TenantModel

MONEY = {"max_digits": 16, "decimal_places": 2}


class CostRate(TenantModel):
    """What one unit of a cost driver costs this organisation (per order, per visit, …).

    The drivers are those the apps declare (``analytics.drivers``), checked by the service."""

    driver = models.CharField(_("driver"), max_length=40)
    rate = models.DecimalField(_("cost per unit"), max_digits=12, decimal_places=4, default=0)

    class Meta:
        ordering = ["driver"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "driver"], name="costrate_unique"),
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="costrate_non_negative"),
        ]
        verbose_name = _("cost rate")
        verbose_name_plural = _("cost rates")

    def __str__(self) -> str:
        from vinculo.analytics import drivers

        return f"{drivers.labels().get(self.driver, self.driver)}: {self.rate}"

    @classmethod
    def history_display(cls, name: str, value: Any) -> str | None:
        """The driver by the label its app declares, in the reader's language."""
        from vinculo.analytics import drivers

        return str(drivers.labels().get(value, value)) if name == "driver" else None


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AnalyticsRun(TenantModel):
    """One recomputation of every customer's snapshot for a date, with its progress."""

    as_of = models.DateField(_("as of"))
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    parameters = models.JSONField(_("model parameters"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True, max_length=TEXT_MAX_LENGTH)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    audited = False

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="analyticsrun_org")]
        verbose_name = _("analytics run")
        verbose_name_plural = _("analytics runs")

    def __str__(self) -> str:
        return f"{self.as_of} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.PENDING, RunStatus.RUNNING)


class CustomerSnapshot(models.Model):
    """What the analytical CRM knew about one account on one date.

    Purchase history (daily grain, orders not cancelled, net amounts): ``frequency`` is the
    number of repeat purchase days, ``recency_days`` the days from the last purchase to
    ``as_of``, ``T`` the days from the first purchase to ``as_of``, ``monetary`` the mean
    repeat purchase day. Scores: RFM quintiles and segment; BG/NBD P(alive) and expected
    purchases over the horizon; Gamma-Gamma expected spend per purchase; CLV as a net present
    value; the bounds of the intervals of P(alive), expected purchases and CLV. P&L over the
    trailing window: revenue − cost of goods − cost to serve = profit.
    """

    # Derived rows, rewritten a million at a time: the database does not check these keys
    # (a row lock on the account per snapshot cost a quarter of the write) and has no
    # single-column indexes for them (the unique key and "snapshot_account" lead with them).
    # Deleting an account or an organisation still deletes its snapshots (Django cascades).
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False,
        db_index=False,
    )
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.CASCADE,
        related_name="+", db_constraint=False, db_index=False,
    )
    as_of = models.DateField(_("as of"))
    first_purchase = models.DateField(_("first purchase"))
    last_purchase = models.DateField(_("last purchase"))
    recency_days = models.PositiveIntegerField(_("days since last purchase"))
    frequency = models.PositiveIntegerField(_("repeat purchases"))
    monetary = models.DecimalField(_("mean repeat purchase"), **MONEY)
    T = models.PositiveIntegerField(_("customer age (days)"))
    r_score = models.PositiveSmallIntegerField(_("R score"))
    f_score = models.PositiveSmallIntegerField(_("F score"))
    m_score = models.PositiveSmallIntegerField(_("M score"))
    rfm_segment = models.CharField(_("RFM segment"), max_length=30)
    p_alive = models.FloatField(_("P(alive)"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    expected_spend = models.DecimalField(_("expected spend per purchase"), null=True, **MONEY)
    clv = models.DecimalField(_("CLV"), null=True, **MONEY)
    # Bounds of the 90 % intervals of the three predictions above (``stats.uncertainty``:
    # the BG/NBD and Gamma-Gamma parameters' estimation uncertainty, by the delta method);
    # null where the prediction is, or where the data do not identify the model.
    p_alive_lower = models.FloatField(_("P(alive), lower bound"), null=True, blank=True)
    p_alive_upper = models.FloatField(_("P(alive), upper bound"), null=True, blank=True)
    expected_purchases_lower = models.FloatField(
        _("expected purchases, lower bound"), null=True, blank=True)
    expected_purchases_upper = models.FloatField(
        _("expected purchases, upper bound"), null=True, blank=True)
    clv_lower = models.DecimalField(_("CLV, lower bound"), null=True, **MONEY)
    clv_upper = models.DecimalField(_("CLV, upper bound"), null=True, **MONEY)
    # The model behind P(alive) and CLV: "bg_nbd" or "mbg_nbd" (purchase models; P(alive) is
    # the chance the customer still buys), "sbg" (a contract customer: P(alive) holds the
    # probability of renewing the main contract, CLV the contracts' residual lifetime value).
    model = models.CharField(_("model"), max_length=10, blank=True, default="",
                             db_default="")
    revenue = models.DecimalField(_("revenue"), **MONEY)
    cost_of_goods = models.DecimalField(_("cost of goods"), **MONEY)
    cost_to_serve = models.DecimalField(_("cost to serve"), **MONEY)
    cost_breakdown = models.JSONField(_("cost to serve by driver"), default=dict, blank=True)
    profit = models.DecimalField(_("profit"), **MONEY)
    profit_segment = models.CharField(_("profitability"), max_length=20)
    value_tier = models.CharField(_("value tier"), max_length=20)

    objects = ScopedManager(organization="organization", _manager_class=TenantManager)
    all_objects = TenantManager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-as_of", "account_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "account", "as_of"], name="snapshot_unique_day"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "as_of", "rfm_segment"], name="snapshot_segment"),
            models.Index(fields=["account", "-as_of"], name="snapshot_account"),
        ]
        verbose_name = _("customer snapshot")
        verbose_name_plural = _("customer snapshots")

    def __str__(self) -> str:
        return f"{self.account_id} @ {self.as_of}"


# Names the library writes into the snapshots (English, stable) → what people read.
SEGMENT_LABELS = {
    "Champions": _("Champions"),
    "Loyal": _("Loyal"),
    "Potential loyalists": _("Potential loyalists"),
    "New": _("New"),
    "Promising": _("Promising"),
    "Need attention": _("Need attention"),
    "About to sleep": _("About to sleep"),
    "At risk": _("At risk"),
    "Can't lose": _("Can't lose"),
    "Hibernating": _("Hibernating"),
    # "Lost" alone is an opportunity's stage too (a lost opportunity: «Perdida» in Spanish)
    "Lost": pgettext_lazy("RFM segment", "Lost"),
    "Loss-making": _("Loss-making"),
    "Low": _("Low"),
    "Medium": _("Medium"),
    "High": _("High"),
    "Platinum": _("Platinum"),
    "Gold": _("Gold"),
    "Iron": _("Iron"),
    "Lead": _("Lead"),
}
VALUE_TIERS = ("Platinum", "Gold", "Iron", "Lead")
PROFIT_SEGMENTS = ("High", "Medium", "Low", "Loss-making")
