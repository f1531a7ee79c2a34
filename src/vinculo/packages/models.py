"""Service packages: what the company promises a class of customers, who has which, and the
dated record of every change of package."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel
from vinculo.customers.models import ServiceTier


class ServiceChannel(models.TextChoices):
    """The ways a package's customers are served (visits only for the top tiers…)."""

    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    PORTAL = "portal", _("Customer portal")
    VISIT = "visit", _("Visits")
    DEDICATED = "dedicated", _("Dedicated line")


class ServicePackage(TenantModel):
    """A promise to a class of customers: service level, prices, delivery, payment, people,
    channels, included services and offers. ``rule`` (the segments' rule language over
    accounts, the analytics snapshot included) says who gets it; ``rank`` orders the packages
    (the highest whose rule matches wins; moving to a lower rank is a downgrade)."""

    audited = True

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    rank = models.PositiveSmallIntegerField(
        _("rank"), default=1,
        help_text=_("Higher is better. Rules are tried from the highest rank; moving a "
                    "customer to a lower rank is a downgrade."))
    active = models.BooleanField(_("active"), default=True)
    rule = models.JSONField(_("rule"), default=dict, blank=True)
    service_tier = models.CharField(
        _("service tier"), max_length=10, choices=ServiceTier.choices,
        default=ServiceTier.STANDARD,
        help_text=_("The SLA targets and routing of its customers' tickets."))
    price_list = models.ForeignKey(
        "catalog.PriceList", verbose_name=_("price list"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
        help_text=_("A customer-segment price list: its prices apply to quotes and orders."))
    lead_time_days = models.PositiveSmallIntegerField(
        _("delivery lead time (days)"), null=True, blank=True,
        help_text=_("Orders are promised this many days after they are placed."))
    partial_deliveries = models.BooleanField(
        _("partial deliveries allowed"), default=True,
        help_text=_("When off, an order is delivered complete, in one delivery."))
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), null=True, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account manager"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+")
    team = models.ForeignKey("core.Team", verbose_name=_("team"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")
    channels = models.JSONField(_("service channels"), default=list, blank=True)
    offers = models.TextField(_("offers"), blank=True, max_length=TEXT_MAX_LENGTH)
    downgrade_needs_approval = models.BooleanField(
        _("downgrades need approval"), default=False,
        help_text=_("A customer leaving this package for a lower one waits for a manager's "
                    "approval."))

    class Meta:
        ordering = ["-rank", "name", "id"]
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")
        constraints = [models.UniqueConstraint(fields=["organization", "name"],
                                               name="package_unique_name")]

    def __str__(self) -> str:
        return self.name


class IncludedService(TenantModel):
    """A service the package includes (a quarterly visit, a dedicated line…) and what it costs
    per customer and month: it feeds the cost to serve."""

    package = models.ForeignKey(ServicePackage, on_delete=models.CASCADE,
                                related_name="services", verbose_name=_("package"))
    name = models.CharField(_("name"), max_length=120)
    monthly_cost = models.DecimalField(_("monthly cost per customer"), max_digits=12,
                                       decimal_places=2, default=0)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("included service")
        verbose_name_plural = _("included services")

    def __str__(self) -> str:
        return self.name


class Decision(models.TextChoices):
    RULE = "rule", _("Rule after a recompute")
    MANUAL = "manual", _("By hand")
    APPROVAL = "approval", _("Approved downgrade")
    LOYALTY = "loyalty", _("Loyalty tier")


class AccountPackage(TenantModel):
    """The package an account has now (one row per account). ``pinned``: set by hand, so the
    rules leave it where it is until someone hands it back to them."""

    account = models.ForeignKey("customers.Account", on_delete=models.CASCADE,
                                related_name="service_package", verbose_name=_("account"))
    package = models.ForeignKey(ServicePackage, on_delete=models.PROTECT,
                                related_name="memberships", verbose_name=_("package"))
    since = models.DateField(_("since"))
    pinned = models.BooleanField(_("set by hand"), default=False)
    benefit = models.ForeignKey(
        ServicePackage, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("loyalty benefit"),
        help_text=_("The package a loyalty tier gives: the rules never place the customer "
                    "below it while the tier lasts."))

    owner_field = ("account__owner",)
    team_field = ("account__team",)

    class Meta:
        ordering = ["-since", "id"]
        verbose_name = _("customer in the package")
        verbose_name_plural = _("customers in the package")
        indexes = [models.Index(fields=["package", "since"], name="accountpackage_pkg")]
        # one package per account (with the organisation: the distribution column)
        constraints = [models.UniqueConstraint(fields=["organization", "account"],
                                               name="accountpackage_one_per_account")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.package_id}"


class ChangeStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    PENDING = "pending", _("Waiting for approval")
    REJECTED = "rejected", _("Rejected")


class PackageChange(TenantModel):
    """A dated change of an account's package, and who or what decided it. A downgrade out of
    a package that requires approval waits here (``pending``) until a manager decides."""

    account = models.ForeignKey("customers.Account", on_delete=models.CASCADE,
                                related_name="package_changes", verbose_name=_("account"))
    from_package = models.ForeignKey(ServicePackage, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+", verbose_name=_("from"))
    to_package = models.ForeignKey(ServicePackage, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("to"))
    on = models.DateField(_("date"))
    decided_by = models.CharField(_("decided by"), max_length=10, choices=Decision.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("who"))
    reason = models.TextField(_("reason"), blank=True, max_length=TEXT_MAX_LENGTH)
    status = models.CharField(_("status"), max_length=10, choices=ChangeStatus.choices,
                              default=ChangeStatus.APPLIED)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    owner_field = ("account__owner",)
    team_field = ("account__team",)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("change of package")
        verbose_name_plural = _("changes of package")
        constraints = [
            models.UniqueConstraint(fields=["organization", "account"],
                                    condition=Q(status="pending"),
                                    name="packagechange_one_pending"),
        ]
        indexes = [models.Index(fields=["organization", "status", "on"],
                                name="packagechange_status_on")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_package_id} → {self.to_package_id}"
