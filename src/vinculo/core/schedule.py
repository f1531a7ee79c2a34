"""Periodic jobs: what ``vinculo scheduler`` runs, for installs that do not use cron.

Each app declares its jobs in its contract (``Contract.jobs``: a management command with an
interval or a daily time); the scheduler runs the due ones in turn. Every job is safe to run
twice (each claims its work in the database), but run one scheduler per installation.
"""

from __future__ import annotations

from vinculo.core import plugins
from vinculo.core.plugins import Job

__all__ = ["Job", "jobs"]


def jobs() -> list[Job]:
    """Every app's periodic jobs, by name."""
    return sorted(plugins.collect("jobs"), key=lambda job: job.name)
