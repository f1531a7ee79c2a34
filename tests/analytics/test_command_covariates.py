"""``vinculo analytics FILE --covariates COL,…``: BG/NBD with covariates through the command.

A transactions file is drawn from BG/NBD with known segment and channel effects (the library's
simulator); the command must recover them within three standard errors, show them in the text
table and the JSON, and refuse bad covariate columns with a message naming them.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from vinculo.analytics.stats.simulate import simulate_bgnbd_covariates

ARGS = ["--customer-col", "customer", "--date-col", "date", "--amount-col", "amount"]
START = np.datetime64("2024-01-01")
END = START + 364  # calibration end: T of every customer is measured up to it
# vip customers buy e^0.7 = 2x as often as retail ones; store customers e^-0.4 = 0.67x as often
# as web ones and leave sooner (a x e^0.8); smb is like retail.
TRUTH = {("segment", "vip", "purchase"): 0.7, ("segment", "smb", "purchase"): 0.0,
         ("channel", "store", "purchase"): -0.4, ("channel", "store", "dropout_a"): 0.8}


def run(*args: str) -> str:
    out = StringIO()
    call_command("analytics", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def covariate_csv(tmp_path_factory) -> Path:
    rng = np.random.default_rng(20_261_207)
    n = 8000
    segment = rng.choice(["retail", "vip", "smb"], n, p=[0.5, 0.25, 0.25])
    channel = rng.choice(["web", "store"], n, p=[0.6, 0.4])
    z = np.column_stack([segment == "vip", segment == "smb", channel == "store"]).astype(float)
    first = rng.integers(0, 84, n)
    T = (364 - first) / 7
    x, tx, _ = simulate_bgnbd_covariates(z, 0.25, 4.0, 0.8, 2.5, T,
                                         purchase_effects=[0.7, 0.0, -0.4],
                                         a_effects=[0.0, 0.0, 0.8], rng=rng)
    lines = ["customer,date,amount,segment,channel"]
    for i in range(n):
        times = np.r_[0.0, np.sort(rng.random(int(x[i]) - 1) * tx[i]), tx[i]] if x[i] else [0.0]
        for t in times:
            day = START + int(first[i]) + int(np.rint(t * 7))
            lines.append(f"c{i},{day},{rng.integers(10, 90)},{segment[i]},{channel[i]}")
    path = tmp_path_factory.mktemp("cov") / "tx.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def fitted(covariate_csv) -> dict:
    return json.loads(run(str(covariate_csv), *ARGS, "--calibration-end", str(END),
                          "--covariates", "segment,channel", "--json"))


def test_recovers_known_effects_within_three_standard_errors(fitted):
    cov = fitted["covariates"]
    assert cov["reference"] == {"segment": "retail", "channel": "web"}
    rows = {(e["covariate"], e["level"], e["process"]): e for e in cov["effects"]}
    assert len(rows) == 9  # 3 levels against their references x (purchase, a, b)
    for key, row in rows.items():
        truth = TRUTH.get(key, 0.0)
        assert abs(row["coefficient"] - truth) < 3 * row["standard_error"], (key, row)
        lo, hi = row["interval"]
        assert row["factor"] == pytest.approx(np.exp(row["coefficient"]))
        assert lo < row["factor"] < hi
    # The purchase effects are sharp at this size: the vip one is not confused with zero.
    assert rows[("segment", "vip", "purchase")]["interval"][0] > 1.5
    assert rows[("segment", "vip", "purchase")]["customers"] == pytest.approx(2000, rel=0.1)
    # store customers' mean drop-out probability a/(a+b) is above the reference's
    assert cov["mean_dropout"]["channel=store"] > cov["mean_dropout"]["reference"]
    lr = cov["likelihood_ratio"]
    assert lr["df"] == 9 and lr["p_value"] < 1e-6
    assert cov["log_likelihood"] > fitted["bg_nbd"]["log_likelihood"]
    assert cov["customers"] == fitted["customers"]


def test_text_table_shows_the_effects(covariate_csv):
    text = run(str(covariate_csv), *ARGS, "--calibration-end", str(END),
               "--covariates", "SEGMENT", "--interval-level", "80")
    assert "BG/NBD with covariates" in text and "reference levels: segment=retail" in text
    assert "SEGMENT" not in text  # named as the file's header spells the column
    for label in ("segment=vip", "segment=smb", "purchase rate", "drop-out a", "drop-out b",
                  "80 % interval of e^coef", "mean drop-out probability"):
        assert label in text, label


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text("customer,date,amount,segment\n" + body)
    return path


REPEAT = "".join(f"{c},2024-01-0{1 + c % 5},10,{s}\n{c},2024-03-01,20,{s}\n"
                 for c, s in enumerate(["a", "b"] * 10))


@pytest.mark.parametrize(("body", "covariates", "message"), [
    (REPEAT, "region", "column 'region' (--covariates) is not in the file; its columns are"),
    (REPEAT.replace(",b\n", ",a\n"), "segment",
     "covariate 'segment' has one level ('a') for all 20 customers"),
    ("".join(f"{c},2024-01-01,10,s{c}\n{c},2024-02-01,10,s{c}\n" for c in range(60)),
     "segment", "covariate 'segment' has 60 levels (at most 50)"),
    (REPEAT + "0,2024-04-01,5,b\n", "segment",
     "line 42: covariate column 'segment' changes for customer '0': 'b' here, 'a' on line 2"),
    (REPEAT + "0,2024-04-01,5,\n", "segment",
     "line 42: covariate column 'segment' is empty for customer '0'"),
])
def test_bad_covariates_name_the_column(tmp_path, body, covariates, message):
    out = tmp_path / "out.csv"
    with pytest.raises(CommandError) as excinfo:
        run(str(_write(tmp_path, body)), *ARGS, "--covariates", covariates, "--out", str(out))
    assert message in str(excinfo.value)
    assert not out.exists()


def test_a_level_with_one_customer_is_refused_naming_the_column(tmp_path):
    body = REPEAT + "99,2024-01-02,10,c\n99,2024-02-02,10,c\n"
    with pytest.raises(CommandError) as excinfo:
        run(str(_write(tmp_path, body)), *ARGS, "--covariates", "segment")
    message = str(excinfo.value)
    assert "covariate 'segment': level 'c' has one customer" in message
    assert "\n" not in message.strip()


@pytest.fixture(scope="module")
def numeric_csv(tmp_path_factory) -> Path:
    """Customers with a numeric covariate (employees, in hundreds) that raises the purchase
    rate by e^0.5 per unit and a categorical one (channel) that raises drop-out."""
    rng = np.random.default_rng(7)
    n = 8000
    size = rng.integers(0, 4, n).astype(float)  # 0..3 hundred employees
    channel = rng.choice(["web", "store"], n, p=[0.6, 0.4])
    z = np.column_stack([size, channel == "store"]).astype(float)
    first = rng.integers(0, 84, n)
    T = (364 - first) / 7
    x, tx, _ = simulate_bgnbd_covariates(z, 0.25, 6.0, 0.8, 2.5, T,
                                         purchase_effects=[0.5, 0.0], a_effects=[0.0, 0.8],
                                         rng=rng)
    lines = ["customer,date,amount,employees,channel"]
    for i in range(n):
        times = np.r_[0.0, np.sort(rng.random(int(x[i]) - 1) * tx[i]), tx[i]] if x[i] else [0.0]
        for t in times:
            day = START + int(first[i]) + int(np.rint(t * 7))
            lines.append(f"c{i},{day},{rng.integers(10, 90)},{int(size[i])},{channel[i]}")
    path = tmp_path_factory.mktemp("num") / "tx.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_numeric_covariates_are_used_as_they_are_and_recovered(numeric_csv):
    cov = json.loads(run(str(numeric_csv), *ARGS, "--calibration-end", str(END),
                         "--covariates", "employees,channel", "--json"))["covariates"]
    assert cov["numeric"] == ["employees"] and cov["reference"] == {"channel": "web"}
    rows = {(e["key"], e["process"]): e for e in cov["effects"]}
    assert len(rows) == 6
    truth = {("employees", "purchase"): 0.5, ("channel=store", "dropout_a"): 0.8}
    for key, row in rows.items():
        assert abs(row["coefficient"] - truth.get(key, 0.0)) < 3 * row["standard_error"], key
    assert rows[("employees", "purchase")]["kind"] == "numeric"
    assert rows[("employees", "purchase")]["level"] is None
    text = run(str(numeric_csv), *ARGS, "--calibration-end", str(END),
               "--covariates", "employees,channel")
    assert "numeric, as they are (effect per unit): employees" in text
    assert "reference levels: channel=web" in text
