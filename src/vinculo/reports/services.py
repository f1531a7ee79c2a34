"""Writes of saved reports: create, update, delete. The definition is checked as the actor
(a report cannot name a field its author may not read); sharing with roles and teams needs
``reports.share``; only the owner changes or deletes a report."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core.models import Team, User
from vinculo.core.roles import Role, role_has
from vinculo.core.services import (
    PermissionDeniedError,
    org_id,
    refuse_unknown,
    require,
    versioned_save,
)
from vinculo.reports import definition as definitions
from vinculo.reports.models import Report, ReportShare

REPORT_FIELDS = ("name", "description", "definition", "shared_roles", "shared_teams")
NAME_MAX_LENGTH = 200


def _values(actor: User, data: dict[str, Any], report: Report | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data or report is None:
        name = " ".join(str(data.get("name") or "").split())
        if not name:
            raise ValidationError({"name": _("Give the report a name.")})
        values["name"] = name[:NAME_MAX_LENGTH]
    if "description" in data:
        values["description"] = str(data["description"] or "").strip()
    if "definition" in data or report is None:
        checked = definitions.check(data.get("definition"), actor)
        values["definition"] = checked.raw
    return values


def _shares(actor: User, data: dict[str, Any]) -> tuple[list[str], list[Team]] | None:
    """The roles and teams to share with, checked; None when the data does not touch them."""
    if "shared_roles" not in data and "shared_teams" not in data:
        return None
    roles = list(dict.fromkeys(data.get("shared_roles") or []))
    team_ids = list(dict.fromkeys(data.get("shared_teams") or []))
    if (roles or team_ids) and not role_has(actor.role, "reports.share"):
        raise ValidationError({"shared_roles": _("Your role may not share reports.")})
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationError({"shared_roles": _("Unknown role «%(role)s».")
                               % {"role": str(unknown[0])[:30]}})
    teams = list(Team.objects.filter(uuid__in=[str(t) for t in team_ids]))
    if len(teams) != len(team_ids):
        raise ValidationError({"shared_teams": _("Some of these teams were not found.")})
    return roles, teams


def _write_shares(report: Report, shares: tuple[list[str], list[Team]] | None) -> None:
    if shares is None:
        return
    roles, teams = shares
    report.shares.all().delete()
    ReportShare.objects.bulk_create(
        [ReportShare(organization_id=report.organization_id, report=report, role=role)
         for role in roles]
        + [ReportShare(organization_id=report.organization_id, report=report, team=team)
           for team in teams])


@transaction.atomic
def report_create(*, actor: User, data: dict[str, Any]) -> Report:
    """A new report owned by ``actor``, private unless shared."""
    require(actor, "reports.add")
    refuse_unknown(data, REPORT_FIELDS)
    values = _values(actor, data, None)
    shares = _shares(actor, data)
    report = Report.objects.create(organization_id=org_id(actor), owner=actor, **values)
    _write_shares(report, shares)
    return report


def _own(actor: User, report: Report) -> None:
    if report.owner_id != actor.pk:
        raise PermissionDeniedError(_("Only the report's owner may change it."))


@transaction.atomic
def report_update(*, actor: User, report: Report, data: dict[str, Any],
                  expected_version: int | None) -> Report:
    """Change a report (its owner only); the definition is checked again as the owner."""
    require(actor, "reports.change")
    _own(actor, report)
    refuse_unknown(data, REPORT_FIELDS)
    values = _values(actor, data, report)
    shares = _shares(actor, data)
    for key, value in values.items():
        setattr(report, key, value)
    report = versioned_save(report, expected_version=expected_version, fields=list(values))
    _write_shares(report, shares)
    return report


@transaction.atomic
def report_delete(*, actor: User, report: Report) -> None:
    """Remove a report and its shares (its owner only)."""
    require(actor, "reports.delete")
    _own(actor, report)
    report.delete()
