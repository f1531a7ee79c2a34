"""``vinculo analytics FILE --contracts``: sBG retention and contract CLV through the command.

Reproduces Fader & Hardie (2007)'s "regular" cohort from a contracts file of 1,000 customers
(one row per year paid), checks the heterogeneous-cohort fit and the per-customer CLV, and
refuses malformed contract histories with a message naming the line, nothing written.
"""

from __future__ import annotations

import csv
import json
import random
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from vinculo.analytics.stats.sbg import ShiftedBetaGeometric

ARGS = ["--contracts", "--customer-col", "customer", "--start-col", "start", "--end-col", "end"]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


def run(*args: str) -> str:
    out = StringIO()
    call_command("analytics", *args, stdout=out)
    return out.getvalue()


def cohort_rows(survivors: list[int], first_year: int, prefix: str,
                inclusive: bool = False) -> list[str]:
    """One row per customer and year paid: survivors[k] customers paid years 0..k."""
    rows = []
    customer = 0
    for k, alive in enumerate(survivors):
        leaving = alive - (survivors[k + 1] if k + 1 < len(survivors) else 0)
        for _ in range(leaving):
            for year in range(first_year, first_year + k + 1):
                end = f"{year}-12-31" if inclusive else f"{year + 1}-01-01"
                rows.append(f"{prefix}{customer},{year}-01-01,{end},{100 + customer % 7}")
            customer += 1
    return rows


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("customer,start,end,amount\n" + "\n".join(rows) + "\n")
    return path


def test_reproduces_fader_hardie_regular(tmp_path):
    path = write(tmp_path / "regular.csv", cohort_rows(REGULAR, 2000, "c"))
    text = run(str(path), *ARGS)
    # Fader & Hardie (2007): gamma 0.704, delta 1.182, LL -1680.27
    assert "gamma                  0.7041" in text and "delta                  1.1820" in text
    assert "-1680.27" in text
    assert "1,000 contract customers as of 2007-01-01: 241 active, 759 churned" in text
    result = json.loads(run(str(path), *ARGS, "--json"))
    sbg = result["sbg"]
    assert (round(sbg["gamma"], 3), round(sbg["delta"], 3)) == (0.704, 1.182)
    assert sbg["log_likelihood"] == pytest.approx(-1680.27, abs=0.005)
    assert 0 < sbg["standard_errors"]["gamma"] < 0.2 and sbg["identified"]
    curve = result["retention"]
    assert [r["actual"] for r in curve] == REGULAR
    assert [r["observed"] for r in curve] == [1000] * 8
    model = ShiftedBetaGeometric(sbg["gamma"], sbg["delta"])
    assert [r["fitted"] for r in curve] == pytest.approx(
        [1000 * float(model.survival(t)) for t in range(8)])
    assert curve[7]["actual_retention"] == pytest.approx(241 / 262)
    assert result["cohorts"] == [{"first_period": "2000-01", "customers": 1000, "active": 241}]


def test_row_order_and_inclusive_ends_do_not_matter(tmp_path):
    rows = cohort_rows(REGULAR, 2000, "c", inclusive=True)
    random.Random(7).shuffle(rows)
    result = json.loads(run(str(write(tmp_path / "shuffled.csv", rows)), *ARGS, "--json"))
    assert (round(result["sbg"]["gamma"], 4), round(result["sbg"]["delta"], 4)) == (
        0.7041, 1.1820)


def test_cohorts_observed_for_different_lengths(tmp_path):
    """A second cohort, starting in 2003, is observed for 4 renewals: the curve's later
    periods count only the first cohort, and the fit uses both (same retention: same fit)."""
    rows = cohort_rows(REGULAR, 2000, "a") + cohort_rows(REGULAR[:5], 2003, "b")
    result = json.loads(run(str(write(tmp_path / "two.csv", rows)), *ARGS, "--json"))
    curve = result["retention"]
    assert [r["observed"] for r in curve] == [2000] * 5 + [1000] * 3
    assert [r["actual"] for r in curve] == [2 * s for s in REGULAR[:5]] + REGULAR[5:]
    assert len(result["cohorts"]) == 2 and result["active"] == 241 + 326
    # The heterogeneous-cohort likelihood: each cohort's churners by period, its survivors
    # censored at its own last renewal.
    periods, churned, weights = [], [], []
    for survivors in (REGULAR, REGULAR[:5]):
        s = np.array(survivors)
        n = len(s) - 1
        periods += [*range(1, n + 1), n]
        churned += [True] * n + [False]
        weights += [*(-np.diff(s)), s[-1]]
    expected = ShiftedBetaGeometric.fit(periods, churned, weights)
    sbg = result["sbg"]
    assert (sbg["gamma"], sbg["delta"]) == pytest.approx((expected.gamma, expected.delta),
                                                         rel=1e-6)
    assert sbg["log_likelihood"] == pytest.approx(expected.log_likelihood, abs=1e-6)
    assert sbg["customers"] == 2000


def test_clv_is_margin_times_derl(tmp_path):
    path = write(tmp_path / "regular.csv", cohort_rows(REGULAR, 2000, "c"))
    out = tmp_path / "clv.csv"
    result = json.loads(run(str(path), *ARGS, "--json", "--margin-per-period", "50",
                            "--discount-rate", "0.1", "--out", str(out)))
    model = ShiftedBetaGeometric(result["sbg"]["gamma"], result["sbg"]["delta"])
    rows = {r["customer"]: r for r in csv.DictReader(out.open())}
    assert len(rows) == 1000
    loyal = [r for r in rows.values() if r["status"] == "active"]
    assert len(loyal) == 241 and {r["renewals"] for r in loyal} == {"7"}
    expected = 50 * float(model.derl(0.1, 7))
    for r in loyal:
        assert float(r["clv"]) == pytest.approx(expected, rel=1e-5)
        assert float(r["clv_lower"]) < float(r["clv"]) < float(r["clv_upper"])
    gone = [r for r in rows.values() if r["status"] == "churned"]
    assert {float(r["clv"]) for r in gone} == {0.0}
    assert result["clv_active_total"]["estimate"] == pytest.approx(241 * expected, rel=1e-5)
    assert result["derl_new_customer"]["estimate"] == pytest.approx(float(model.derl(0.1, 0)))
    # --amount-col: the latest period's amount times --margin is the margin per period
    run(str(path), *ARGS, "--amount-col", "amount", "--margin", "0.5", "--out", str(out))
    row = next(r for r in csv.DictReader(out.open()) if r["status"] == "active")
    amount = 100 + int(row["customer"][1:]) % 7
    assert float(row["margin_per_period"]) == 0.5 * amount
    assert float(row["clv"]) == pytest.approx(0.5 * amount * float(model.derl(0.1, 7)),
                                              rel=1e-5)


GOOD = ["a,2020-01-01,2021-01-01", "a,2021-01-01,2022-01-01", "b,2020-01-01,2021-01-01",
        "c,2021-01-01,2022-01-01", "c,2022-01-01,2023-01-01"]


@pytest.mark.parametrize(("rows", "extra", "message"), [
    ([*GOOD, "d,2021-01-01,2020-06-01"], [],
     "line 7: the period ends (2020-06-01, column 'end') on or before it starts (2021-01-01"),
    ([*GOOD, "a,2021-06-01,2022-06-01"], [],
     "line 7: customer 'a''s period from 2021-06-01 overlaps the period on line 3"),
    ([*GOOD, "b,2022-01-01,2023-01-01"], [],
     "line 7: customer 'b' comes back on 2022-01-01 after their period on line 4 ended on "
     "2021-01-01"),
    (["a,2020-01-01,2021-01-01", "b,2021-01-01,2022-01-01"], [], "no customer renewed"),
    (["a,2020-01-01,2021-01-01", "a,2021-01-01,2022-01-01"], [], "nobody churned"),
    ([*GOOD, "e,2020-01-01,2020-02-01"], [], "line 7: the period from 2020-01-01 to "
     "2020-02-01 lasts 31 days, the file's periods about 365"),
    ([*GOOD, "e,,2020-02-01"], [], "line 7: column 'start' (--start-col) is empty"),
    ([*GOOD, "e,someday,2020-02-01"], [], "line 7: 'someday' in column 'start' is not a date"),
    (GOOD, ["--as-of", "2021-06-01"], "--as-of 2021-06-01 is before the period starting "
     "2022-01-01 on line 6"),
    (GOOD, ["--end-col", "until"], "column 'until' (--end-col) is not in the file"),
    (GOOD, ["--models", "all"], "--models does not apply to --contracts"),
    (GOOD, ["--date-col", "start"], "--date-col does not apply to --contracts"),
    (GOOD, ["--discount-rate", "0"], "--discount-rate must be positive"),
])
def test_bad_contracts_name_the_line(tmp_path, rows, extra, message):
    path = write(tmp_path / "bad.csv", [r + ",10" for r in rows])
    out = tmp_path / "out.csv"
    argv = list(ARGS)
    if "--end-col" in extra:
        argv[argv.index("--end-col") + 1] = extra[1]
        extra = []
    with pytest.raises(CommandError) as excinfo:
        run(str(path), *argv, *extra, "--out", str(out))
    assert message in str(excinfo.value)
    assert not out.exists()


def test_contract_columns_need_contracts_mode(tmp_path):
    path = write(tmp_path / "c.csv", [r + ",10" for r in GOOD])
    with pytest.raises(CommandError, match="--start-col applies only with --contracts"):
        run(str(path), "--customer-col", "customer", "--date-col", "start", "--amount-col",
            "amount", "--start-col", "start")
    with pytest.raises(CommandError, match="--end-col is required with --contracts"):
        run(str(path), "--contracts", "--customer-col", "customer", "--start-col", "start")
    with pytest.raises(CommandError, match="--date-col is required"):
        run(str(path), "--customer-col", "customer", "--amount-col", "amount")


def test_derl_uses_the_period_discount_rate(tmp_path):
    """Monthly contracts: 10 % a year is (1.1)^(1/12) - 1 a month."""
    rows = []
    for c in range(40):
        months = 1 + c % 9
        for m in range(months):
            rows.append(f"m{c},2024-{1 + m:02d}-01,2024-{2 + m:02d}-01" if m < 11
                        else f"m{c},2024-12-01,2025-01-01")
    result = json.loads(run(str(write(tmp_path / "monthly.csv", [r + ",9" for r in rows])),
                            *ARGS, "--json"))
    assert result["period_discount_rate"] == pytest.approx(1.1 ** (1 / 12) - 1)
    assert 28 <= result["period_days"] <= 31
    assert np.isfinite(result["sbg"]["gamma"])


def test_bad_amount_names_the_line(tmp_path):
    rows = [r + ",10" for r in GOOD] + ["d,2020-01-01,2021-01-01,ten"]
    out = tmp_path / "out.csv"
    with pytest.raises(CommandError, match="line 7: 'ten' in column 'amount' is not a number"):
        run(str(write(tmp_path / "c.csv", rows)), *ARGS, "--amount-col", "amount",
            "--out", str(out))
    assert not out.exists()


def test_reproduces_fader_hardie_high_end(tmp_path):
    high_end = [1000, 869, 743, 653, 593, 551, 517, 491]
    result = json.loads(run(str(write(tmp_path / "high.csv", cohort_rows(high_end, 2000, "h"))),
                            *ARGS, "--json"))
    sbg = result["sbg"]
    # Fader & Hardie (2007): gamma 0.668, delta 3.806, LL -1611.16
    assert (round(sbg["gamma"], 3), round(sbg["delta"], 3)) == (0.668, 3.806)
    assert sbg["log_likelihood"] == pytest.approx(-1611.16, abs=0.005)
