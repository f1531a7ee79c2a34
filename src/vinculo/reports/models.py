"""Saved reports: a definition (``reports/definition.py``) with a name, an owner, and the roles
and teams it is shared with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel
from vinculo.core.roles import Role


class Report(TenantModel):
    """A report someone built. Private to its owner unless shared (``ReportShare``); whoever
    opens it sees it with their own rights: the rows their role and record rule read."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    definition = models.JSONField(_("definition"), default=dict)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "owner"], name="report_owner")]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return self.name


class ReportShare(TenantModel):
    """One role or one team a report is shared with."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="shares")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    team = models.ForeignKey("core.Team", verbose_name=_("team"), on_delete=models.CASCADE,
                             null=True, blank=True, related_name="+")

    audited = False

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role="") & models.Q(team__isnull=False))
                | (~models.Q(role="") & models.Q(team__isnull=True)),
                name="reportshare_role_or_team"),
        ]
        verbose_name = _("report share")
        verbose_name_plural = _("report shares")

    def __str__(self) -> str:
        return self.role or str(self.team_id)


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


def default_formats() -> list[str]:
    return ["csv", "xlsx"]


class ReportSchedule(TenantModel):
    """When a saved report is e-mailed, and to whom (``reports/schedules.py``). Each recipient
    gets it run with their own rights; a schedule whose owner may no longer read the report
    stops (``active`` false) and ``stopped_reason`` says why, on the report's page."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="schedule")
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    time = models.TimeField(_("local time"))
    timezone = models.CharField(_("time zone"), max_length=64)
    weekday = models.PositiveSmallIntegerField(_("day of the week"), null=True, blank=True)
    day = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    # user ids of the organisation; checked when set and again (with their rights) when sent
    recipients = models.JSONField(_("recipients"), default=list)
    # the files attached: any of "csv", "xlsx", "pdf" (the PDF with the report's chart)
    formats = models.JSONField(_("attached files"), default=default_formats)
    active = models.BooleanField(_("active"), default=True)
    stopped_reason = models.CharField(_("why it stopped"), max_length=300, blank=True)
    next_run_at = models.DateTimeField(_("next sending"))
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["active", "next_run_at"], name="reportschedule_due")]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.frequency}"
