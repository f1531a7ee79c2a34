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
