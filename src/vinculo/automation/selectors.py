"""Reads of exception rules and their log."""

from __future__ import annotations

from django.db.models import QuerySet

from vinculo.automation.models import Firing, Rule


def rule_list() -> QuerySet[Rule]:
    return Rule.objects.select_related("run_as").order_by("name", "id")


def firings(rule: Rule, *, limit: int = 100) -> QuerySet[Firing]:
    """The rule's latest firings, newest first."""
    return Firing.objects.filter(rule=rule).order_by("-created_at", "-id")[:limit]
