"""Calibration/holdout validation: the library's comparison and ``vinculo analytics
--holdout-from`` on CDNOW (calibration to 1997-09-30, holdout the next 39 weeks)."""

from __future__ import annotations

import csv
import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from vinculo.analytics.stats.bgnbd import BGNBD
from vinculo.analytics.stats.holdout import compare_holdout, format_comparison

ARGS = ["--customer-col", "customer", "--date-col", "date", "--amount-col", "amount"]


@pytest.fixture(scope="module")
def comparison(cdnow):
    return compare_holdout(cdnow.frequency, cdnow.recency, cdnow.T, cdnow.frequency_holdout,
                           cdnow.duration_holdout)


def test_buckets_actual_and_predictions_are_computed_independently(cdnow, comparison):
    x, hold = cdnow.frequency, cdnow.frequency_holdout
    assert cdnow.duration_holdout == pytest.approx(39.0)
    assert comparison.buckets == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(comparison.customers) == 2357
    assert comparison.customers[0] == int((x == 0).sum()) == 1411
    assert comparison.total_actual == hold.sum()
    seven_up = x >= 7
    assert comparison.actual[7] == pytest.approx(hold[seven_up].mean())
    bg = BGNBD.fit(x, cdnow.recency, cdnow.T)
    pred = bg.conditional_expected_purchases(39.0, x, cdnow.recency, cdnow.T)
    assert comparison.predicted["bg_nbd"][2] == pytest.approx(pred[x == 2].mean(), rel=1e-6)
    assert comparison.mae["bg_nbd"] == pytest.approx(np.abs(pred - hold).mean(), rel=1e-6)
    assert comparison.correlation["bg_nbd"] == pytest.approx(np.corrcoef(pred, hold)[0, 1],
                                                             rel=1e-6)
    # The models track the holdout: the more a customer bought, the more they buy next.
    assert np.all(np.diff(comparison.predicted["bg_nbd"]) > 0)
    for key in ("bg_nbd", "mbg_nbd", "pareto_nbd"):
        assert 0.5 < comparison.correlation[key] < 1
        assert comparison.total_predicted[key] == pytest.approx(comparison.total_actual,
                                                                rel=0.25)


def test_best_model_is_the_smallest_error_and_says_why(comparison):
    best = comparison.best
    assert comparison.mae[best] == min(comparison.mae.values())
    assert comparison.reason.startswith({"bg_nbd": "BG/NBD", "mbg_nbd": "MBG/NBD",
                                         "pareto_nbd": "Pareto/NBD"}[best])
    assert "mean absolute error" in comparison.reason
    data = json.loads(json.dumps(comparison.as_dict()))
    assert data["best"] == best and data["buckets"][-1] == "7+"
    text = format_comparison(comparison, "week")
    assert "7+" in text and "MAE per customer" in text and comparison.reason in text


def test_a_model_that_cannot_be_fitted_is_reported_not_fatal(cdnow):
    class Broken:
        params = {"r": 1.0}

        def conditional_expected_purchases(self, *args):
            raise ValueError("degenerate")

    c = compare_holdout(cdnow.frequency, cdnow.recency, cdnow.T, cdnow.frequency_holdout, 39.0,
                        models=("bg_nbd", "mbg_nbd"), fitted={"mbg_nbd": Broken()})
    assert c.errors == {"mbg_nbd": "degenerate"}
    assert c.best == "bg_nbd" and list(c.mae) == ["bg_nbd"]


@pytest.mark.parametrize(("args", "message"), [
    (([], [], [], [], 39.0), "no customer made a purchase"),
    (([0, 0], [0, 0], [5, 5], [1, 0], 39.0), "no customer bought twice"),
    (([1, 0], [2, 0], [5, 5], [1, 0], 0.0), "longer than zero"),
    (([1, 0], [2, 0], [5, 5], [1], 39.0), "one value per customer"),
])
def test_bad_input_is_refused(args, message):
    with pytest.raises(ValueError, match=message):
        compare_holdout(*args)


def test_unknown_model_is_refused(cdnow):
    with pytest.raises(ValueError, match="unknown model 'bgbb'"):
        compare_holdout(cdnow.frequency, cdnow.recency, cdnow.T, cdnow.frequency_holdout,
                        39.0, models=("bgbb",))


# --- the analyst command -----------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory, cdnow_transactions):
    ids, dates, amounts = cdnow_transactions
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer", "date", "amount"])
        w.writerows(zip(ids.tolist(), dates.astype(str).tolist(), amounts.tolist(),
                        strict=True))
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("analytics", *args, stdout=out)
    return out.getvalue()


def test_command_holdout_json_equals_the_library(cdnow_csv, comparison):
    result = json.loads(run(str(cdnow_csv), *ARGS, "--holdout-from", "1997-10-01", "--json"))
    assert result["calibration_end"] == "1997-09-30"
    hold = result["holdout"]
    assert hold["buckets"] == comparison.buckets and hold["customers"] == comparison.customers
    assert hold["actual"] == pytest.approx(comparison.actual)
    for key, values in comparison.predicted.items():
        assert hold["predicted"][key] == pytest.approx(values, rel=1e-6)
    assert hold["best"] == comparison.best


def test_command_holdout_table(cdnow_csv, comparison):
    text = run(str(cdnow_csv), *ARGS, "--holdout-from", "1997-10-01")
    assert "Holdout validation: purchases in the next 39 weeks" in text
    assert "BG/NBD" in text and "7+" in text and comparison.reason in text


@pytest.mark.parametrize(("args", "message"), [
    (["--holdout-from", "1998-07-01"], "holdout period would be empty"),
    (["--holdout-from", "1990-01-01"], "ends before the first purchase"),
    (["--holdout-from", "1997-10-01", "--calibration-end", "1997-09-30"], "not both"),
])
def test_command_holdout_bad_dates(cdnow_csv, args, message):
    with pytest.raises(CommandError, match=message):
        run(str(cdnow_csv), *ARGS, *args)
