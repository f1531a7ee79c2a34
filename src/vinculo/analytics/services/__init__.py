"""Recompute the analytical CRM: aggregate SQL → the pure library → bulk upsert of snapshots.

The nightly flow (``STYLE.md``, "Nightly analytics"): the database summarises each account's
purchase history with one ``GROUP BY`` (never loading orders into Python), the library fits
BG/NBD and Gamma-Gamma on the distinct (x, t_x, T) patterns, scores RFM, values each customer
(CLV as a net present value) and builds the customer P&L from cost of goods and an
activity-based cost to serve; the result is upserted as one dated snapshot per account.

The cost drivers are whatever the apps declare in their contracts (``drivers.py``): each
counter yields ``(account_id, count)`` pairs for a window of days (an aggregate query).

Split by concern: ``summary`` (the aggregate SQL and the cost of goods), ``costs`` (cost-driver
counts and cost rates), ``scoring`` (the models), ``writing`` (the snapshot upsert) and ``runs``
(recompute and the queued runs). The public names are re-exported here.
"""

from vinculo.analytics.services.costs import cost_rate_update, cost_rates, driver_counts
from vinculo.analytics.services.runs import (
    analytics_run_execute,
    analytics_run_start,
    recompute,
)
from vinculo.analytics.services.scoring import DEFAULTS, DEGENERATE, Scores, score, value_tiers
from vinculo.analytics.services.summary import (
    UNIT_DAYS,
    SqlSummary,
    cost_of_goods,
    customer_summary_sql,
    summary_sql,
)
from vinculo.analytics.services.writing import snapshot_columns, write_snapshots

__all__ = [
    "DEFAULTS",
    "DEGENERATE",
    "UNIT_DAYS",
    "Scores",
    "SqlSummary",
    "analytics_run_execute",
    "analytics_run_start",
    "cost_of_goods",
    "cost_rate_update",
    "cost_rates",
    "customer_summary_sql",
    "driver_counts",
    "recompute",
    "score",
    "snapshot_columns",
    "summary_sql",
    "value_tiers",
    "write_snapshots",
]
