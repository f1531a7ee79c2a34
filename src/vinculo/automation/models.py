"""Exception rules: trigger → conditions → actions, the log of every firing and the condition
episodes that make a scheduled rule fire once per record while its condition lasts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel


class TriggerKind(models.TextChoices):
    EVENT = "event", _("A record was created or changed (domain event)")
    ORDER_DUE = "order_due", _("An order is due within N days and not delivered")
    INVOICE_OVERDUE = "invoice_overdue", _("An invoice is overdue by N days")
    SEGMENT_ENTERED = "segment_entered", _("A customer entered a segment")
    SEGMENT_LEFT = "segment_left", _("A customer left a segment")
    ANALYTICS = "analytics", _("Analytics recomputed: the conditions hold for a customer")
    FIELD_CROSSES = "field_crosses", _("A field crosses a value")
    DATE_RELATIVE = "date_relative", _("A date relative to a field")
    DELIVERY_EXCEPTION = "delivery_exception", _("A delivery is late or short")


#: Triggers evaluated as a state over many records (the scan, a recompute, a refresh): each
#: fires once per record per episode of its condition.
STATE_TRIGGERS = (TriggerKind.ORDER_DUE, TriggerKind.INVOICE_OVERDUE,
                  TriggerKind.SEGMENT_ENTERED, TriggerKind.SEGMENT_LEFT, TriggerKind.ANALYTICS,
                  TriggerKind.DATE_RELATIVE)
#: Triggers started by one published event (their ``event`` column names it).
EVENT_TRIGGERS = (TriggerKind.EVENT, TriggerKind.FIELD_CROSSES, TriggerKind.DELIVERY_EXCEPTION)
SEGMENT_TRIGGERS = (TriggerKind.SEGMENT_ENTERED, TriggerKind.SEGMENT_LEFT)


class Rule(TenantModel):
    """An exception rule. ``trigger``, ``conditions`` (the segments' rule language over the
    record's account) and ``actions`` are JSON checked by ``automation.checks``; ``kind`` and
    ``event`` repeat the trigger's so the event subscriber finds its rules with one query.
    Actions run as ``run_as`` (whoever saved the rule), through the owning apps' services."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("trigger"), max_length=20, choices=TriggerKind.choices,
                            editable=False)
    event = models.CharField(_("event"), max_length=60, blank=True, editable=False)
    trigger = models.JSONField(_("trigger"), default=dict)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    run_as = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("runs as"),
                               on_delete=models.PROTECT, related_name="+", editable=False)

    class Meta:
        verbose_name = _("exception rule")
        verbose_name_plural = _("exception rules")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "active", "kind", "event"],
                                name="automation_rule_trigger")]

    def __str__(self) -> str:
        return self.name


class FiringStatus(models.TextChoices):
    DONE = "done", _("Done")
    PARTIAL = "partial", _("Some actions failed")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (loop guard)")


class Firing(TenantModel):
    """One time a rule fired: on what, why, and what each action did (or its error)."""

    audited = False  # the log itself; auditing it would double every firing

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    trigger = models.CharField(_("trigger"), max_length=80)
    record_type = models.CharField(_("record type"), max_length=60)
    record_uuid = models.UUIDField(_("record"), null=True, blank=True)
    record_label = models.CharField(_("record"), max_length=200, blank=True)
    occurrence = models.UUIDField(null=True, blank=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=FiringStatus.choices)
    results = models.JSONField(_("results"), default=list)

    class Meta:
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["rule", "-created_at"], name="automation_firing_rule")]
        constraints = [models.UniqueConstraint(fields=["rule", "occurrence"],
                                               name="automation_firing_once_per_event")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.trigger} {self.record_label}"


class Episode(TenantModel):
    """A stretch of time during which a scheduled rule's condition holds for one record. The
    rule fires when an episode opens; it closes when the condition stops holding, so the same
    late order gets one task, and a new one only if it becomes late again."""

    audited = False

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="episodes")
    record_key = models.CharField(max_length=80)  # "<app.model>:<uuid>"
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(
            fields=["rule", "record_key"], condition=models.Q(closed_at__isnull=True),
            name="automation_episode_one_open")]

    def __str__(self) -> str:
        return self.record_key
