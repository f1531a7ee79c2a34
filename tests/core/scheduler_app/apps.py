"""A test app whose jobs come every few seconds, so that two `vinculo scheduler` processes
meet on many slots within a short test (tests/core/test_scheduler_hosts.py)."""

from __future__ import annotations

import datetime as dt

from vinculo.core.plugins import Contract, Job, VinculoApp


class SchedulerTestConfig(VinculoApp):
    name = "tests.core.scheduler_app"
    label = "scheduler_test"
    contract = Contract(jobs=(
        Job("schedule_mark", ("fast",), every=dt.timedelta(seconds=1)),
        # longer than its slot's first second: the other scheduler wakes while it runs
        Job("schedule_mark", ("slow", "--seconds", "1.5"), every=dt.timedelta(seconds=3)),
    ))
