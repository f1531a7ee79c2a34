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


class ObjectiveScope(models.TextChoices):
    ORGANIZATION = "organization", _("The whole organisation")
    TEAM = "team", _("A team")
    USER = "user", _("A person")


class Objective(TenantModel):
    """A target for one indicator (``Contract.indicators``, ``reports/objectives.py``) over
    one period, for the organisation, a team or a person. The actual figure is never stored:
    it is measured by the app that owns the indicator whenever the objective is shown."""

    indicator = models.CharField(_("indicator"), max_length=40)
    scope = models.CharField(_("for"), max_length=12, choices=ObjectiveScope.choices,
                             default=ObjectiveScope.ORGANIZATION)
    team = models.ForeignKey("core.Team", verbose_name=_("team"), on_delete=models.CASCADE,
                             null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                             on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    target = models.DecimalField(_("objective"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["-start", "indicator", "id"]
        indexes = [models.Index(fields=["organization", "end"], name="objective_org_end")]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")),
                                   name="objective_end_after_start"),
            models.CheckConstraint(
                condition=(models.Q(scope="organization", team__isnull=True, user__isnull=True)
                           | models.Q(scope="team", team__isnull=False, user__isnull=True)
                           | models.Q(scope="user", team__isnull=True, user__isnull=False)),
                name="objective_scope_matches"),
        ]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")

    def __str__(self) -> str:
        from django.utils.formats import date_format

        from vinculo.reports.objectives import indicator_label

        who = (self.team.name if self.team_id and self.team else
               str(self.user) if self.user_id and self.user else _("whole organisation"))
        return (f"{indicator_label(self.indicator)} · {who} · "
                f"{date_format(self.start, 'SHORT_DATE_FORMAT')}–"
                f"{date_format(self.end, 'SHORT_DATE_FORMAT')}")


class Dashboard(TenantModel):
    """The management dashboard of one role, arranged by the administrator; made with its
    default widgets the first time the role opens it (``reports/dashboards.py``)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["role"]
        constraints = [models.UniqueConstraint(fields=["organization", "role"],
                                               name="dashboard_one_per_role")]
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")

    def __str__(self) -> str:
        return str(self.get_role_display())


class Widget(TenantModel):
    """One card of a dashboard: a saved report's chart or table, or an objective's card."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    position = models.PositiveIntegerField(_("position"), default=0)
    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.CASCADE,
                               null=True, blank=True, related_name="+")
    objective = models.ForeignKey(Objective, verbose_name=_("objective"),
                                  on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(report__isnull=False, objective__isnull=True)
                           | models.Q(report__isnull=True, objective__isnull=False)),
                name="widget_report_or_objective"),
        ]
        verbose_name = _("dashboard widget")
        verbose_name_plural = _("dashboard widgets")

    def __str__(self) -> str:
        return str(self.report or self.objective)
