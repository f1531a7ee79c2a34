"""Fixtures for the analytics library tests: the CDNOW sample that ships inside ``lifetimes``.

No database is used here; these tests run with or without pytest-django.
"""

from __future__ import annotations

import importlib.resources

import numpy as np
import pytest

from vinculo.analytics.stats.summary import CustomerSummary, customer_summary

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


def _dataset(name: str):
    return importlib.resources.files("lifetimes") / "datasets" / name


@pytest.fixture(scope="session")
def cdnow_transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer id, date, amount) from CDNOW_sample.txt.

    Columns are: master-file id, sample id (1..2357), YYYYMMDD date, CDs bought, dollar amount.
    """
    raw = np.loadtxt(_dataset("CDNOW_sample.txt").read_text().splitlines(), dtype=str)
    ids = raw[:, 1].astype(np.int64)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return ids, dates, raw[:, 4].astype(float)


@pytest.fixture(scope="session")
def cdnow(cdnow_transactions) -> CustomerSummary:
    """Our 39-week calibration summary in weeks, holdout to 1998-06-30."""
    ids, dates, amounts = cdnow_transactions
    return customer_summary(
        ids,
        dates,
        amounts,
        unit="week",
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
    )


@pytest.fixture(scope="session")
def lifetimes_summary_file():
    """The published per-customer summary (x, t_x, T, zbar) shipped with lifetimes."""
    pd = pytest.importorskip("pandas")
    return pd.read_csv(_dataset("cdnow_customers_summary_with_transactions.csv"))
