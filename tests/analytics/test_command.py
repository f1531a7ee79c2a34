"""``vinculo analytics FILE.csv``: the analyst command, end to end on CDNOW, and bad input.

No database: the command must run without one (a subprocess test proves it with an
unreachable ``DATABASE_URL``).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from vinculo.analytics.management.commands.analytics import parse_amount, read_transactions

ARGS = ["--customer-col", "customer", "--date-col", "date", "--amount-col", "amount"]


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory, cdnow_transactions) -> Path:
    ids, dates, amounts = cdnow_transactions
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer", "date", "amount"])
        for i, d, a in zip(ids.tolist(), dates.astype(str).tolist(), amounts.tolist(),
                           strict=True):
            w.writerow([i, d, a])
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("analytics", *args, stdout=out)
    return out.getvalue()


def test_cdnow_json_matches_the_published_fits(cdnow_csv, tmp_path):
    out_csv = tmp_path / "customers.csv"
    result = json.loads(run(str(cdnow_csv), *ARGS, "--time-unit", "week",
                            "--calibration-end", "1997-09-30", "--json", "--out", str(out_csv),
                            "--models", "all"))
    bg = result["bg_nbd"]
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    assert (round(bg["r"], 3), round(bg["alpha"], 3), round(bg["a"], 3), round(bg["b"], 3)) == (
        0.243, 4.414, 0.793, 2.426)
    assert bg["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    pn = result["pareto_nbd"]
    assert (round(pn["r"], 3), round(pn["alpha"], 3), round(pn["s"], 3), round(pn["beta"], 3)) == (
        0.553, 10.578, 0.606, 11.669)
    gg = result["gamma_gamma"]
    assert (round(gg["p"], 2), round(gg["q"], 2), round(gg["gamma"], 2)) == (6.25, 3.74, 15.44)
    assert gg["customers"] == 946
    assert set(result["mbg_nbd"]) >= {"r", "alpha", "a", "b", "log_likelihood"}
    assert result["customers"] == 2357
    assert result["transactions"] == 4960  # CDNOW rows up to the calibration end

    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 2357
    first = next(r for r in rows if r["customer"] == "1")
    # Customer 1 of CDNOW: x = 2, t_x = 30.43, T = 38.86 (the paper's worked example)
    assert (int(first["frequency"]), float(first["recency"]), float(first["T"])) == (
        2, pytest.approx(30.43, abs=0.01), pytest.approx(38.86, abs=0.01))
    assert 0 <= float(first["p_alive"]) <= 1
    assert float(first["clv"]) > 0
    assert first["rfm_segment"]
    assert {r["r_score"] for r in rows} == {"1", "2", "3", "4", "5"}


def test_human_table_prints_every_model(cdnow_csv):
    text = run(str(cdnow_csv), *ARGS, "--calibration-end", "1997-09-30", "--models", "all")
    for title in ("BG/NBD", "MBG/NBD", "Pareto/NBD", "Gamma-Gamma"):
        assert title in text
    assert "0.2426" in text and "4.4136" in text


def test_only_the_models_it_reports_are_fitted(cdnow_csv):
    """By default the two models behind the per-customer output; --models names the rest."""
    result = json.loads(run(str(cdnow_csv), *ARGS, "--calibration-end", "1997-09-30", "--json"))
    assert {k for k in result if k.endswith(("_nbd", "_gamma"))} == {"bg_nbd", "gamma_gamma"}
    text = run(str(cdnow_csv), *ARGS, "--calibration-end", "1997-09-30",
               "--models", "pareto_nbd")
    assert "Pareto/NBD" in text and "MBG/NBD" not in text
    assert "Models fitted: bg_nbd, pareto_nbd, gamma_gamma" in text
    with pytest.raises(CommandError, match="unknown model 'cox'"):
        run(str(cdnow_csv), *ARGS, "--models", "cox")


def test_no_visible_dropout_reports_bg_nbd_instead_of_pareto(tmp_path):
    """Everybody still buying at the end: Pareto/NBD says it cannot identify s and beta."""
    path = tmp_path / "loyal.csv"
    lines = ["customer,date,amount"]
    for c in range(40):
        for month in range(1 + c % 3, 13, 1 + c % 2):
            lines.append(f"{c},2024-{month:02d}-{1 + c % 27:02d},{10 + c}")
    path.write_text("\n".join(lines) + "\n")
    result = json.loads(run(str(path), *ARGS, "--models", "all", "--json"))
    assert "no drop-out is visible" in result["pareto_nbd"]["not_identified"]
    assert result["pareto_nbd"]["reported_instead"] == "bg_nbd"
    text = run(str(path), *ARGS, "--models", "all")
    assert "BG/NBD above is reported instead" in text


def test_returns_are_netted_per_day_and_left_out_of_spend(tmp_path):
    """A return on a purchase day nets it; a day netting to <= 0 is no purchase; Gamma-Gamma
    says who it left out and why."""
    path = tmp_path / "returns.csv"
    rows = ["customer,date,amount"]
    for c in range(30):
        rows += [f"{c},2024-01-0{1 + c % 5},20", f"{c},2024-03-1{c % 7},{30 + c}",
                 f"{c},2024-05-20,{15 + c % 4}"]
    rows += ["a,2024-01-02,50", "a,2024-02-02,40", "a,2024-02-02,-40",  # refunded: x = 0
             "b,2024-01-02,50", "b,2024-02-03,-10",                     # a bare return
             "z,2024-01-02,50", "z,2024-02-02,0"]                       # a free order: x = 1
    path.write_text("\n".join(rows) + "\n")
    out_csv = tmp_path / "out.csv"
    result = json.loads(run(str(path), *ARGS, "--json", "--out", str(out_csv)))
    freq = {r["customer"]: int(r["frequency"]) for r in csv.DictReader(out_csv.open())}
    assert freq["a"] == 0 and freq["b"] == 0 and freq["z"] == 1 and freq["0"] == 2
    gg = result["gamma_gamma"]
    assert gg["customers"] == 30 and gg["left_out"] == 1
    assert "net to 0 or less" in gg["left_out_reason"]


def test_every_repeat_amount_negative_is_a_clear_message(tmp_path):
    path = tmp_path / "refunds.csv"
    path.write_text("customer,date,amount\n1,2024-01-01,10\n1,2024-02-01,-5\n"
                    "2,2024-01-03,10\n2,2024-03-01,-7\n")
    with pytest.raises(CommandError, match="no customer bought twice"):
        run(str(path), *ARGS)


def test_latin1_semicolon_european_formats(tmp_path, cdnow_transactions):
    ids, dates, amounts = cdnow_transactions
    path = tmp_path / "ventas.csv"
    lines = ["Cliente;Fecha;Importe"]
    for i, d, a in zip(ids.tolist(), dates.astype(str).tolist(), amounts.tolist(),
                       strict=True):
        y, m, day = d.split("-")
        lines.append(f"Núñez {i};{day}/{m}/{y};{a:.2f}".replace(".", ","))
    path.write_bytes("\n".join(lines).encode("latin-1"))
    result = json.loads(run(str(path), "--customer-col", "cliente", "--date-col", "Fecha",
                            "--amount-col", "Importe", "--calibration-end", "1997-09-30",
                            "--json"))
    assert round(result["bg_nbd"]["r"], 3) == 0.243
    assert round(result["gamma_gamma"]["gamma"], 2) == 15.44


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("customer,date,amount\n1,2020-01-01,10\n", ["--amount-col", "total"],
         "column 'total' (--amount-col) is not in the file; its columns are: 'customer'"),
        ("customer,date,amount\n1,2020-01-01,10\n2,2020-01-02,ten\n", [],
         "line 3: 'ten' in column 'amount' is not a number"),
        ("customer,date,amount\n1,2020-01-01,10\n2,someday,5\n", [],
         "line 3: 'someday' in column 'date' is not a date"),
        ("customer,date,amount\n1,2020-01-01,10\n,2020-01-02,5\n", [],
         "line 3: column 'customer' (customer) is empty"),
        ("customer,date,amount\n1,2020-01-01\n", [], "line 2: 2 fields, expected at least 3"),
        ("customer,date,amount\n", [], "has a header but no transactions"),
        ("", [], "is empty"),
        ("customer,date,amount\n1,2020-01-01,10\n2,2020-01-02,5\n", [],
         "no customer bought twice"),
        ("customer,date,amount\n1,2020-01-01,10\n1,13/01/2020,5\n", [],
         "mixes date formats"),
    ],
)
def test_bad_input_names_the_column_or_line(tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    base = dict(zip(ARGS[::2], ARGS[1::2], strict=True))
    for option, value in zip(args[::2], args[1::2], strict=True):
        base[option] = value
    argv = [x for pair in base.items() for x in pair]
    with pytest.raises(CommandError) as excinfo:
        run(str(path), *argv)
    assert message in str(excinfo.value)


def test_every_bad_line_is_reported_not_only_the_first(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("customer,date,amount\n1,2020-01-01,x\n2,2020-01-01,10\n3,2020-01-02,y\n")
    with pytest.raises(CommandError) as excinfo:
        read_transactions(path, "customer", "date", "amount")
    assert "line 2:" in str(excinfo.value) and "line 4:" in str(excinfo.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "nope.csv"), *ARGS)


@pytest.mark.parametrize(
    ("text", "comma", "value"),
    [("12.5", False, 12.5), ("1,234.50", False, 1234.5), ("1.234,50", True, 1234.5),
     ("12,5", True, 12.5), ("€ 7,10", True, 7.1), ("(3.00)", False, -3.0),
     ("1,234,567", False, 1234567.0)],
)
def test_amount_formats(text, comma, value):
    assert parse_amount(text, comma) == pytest.approx(value)


def test_runs_without_a_database(cdnow_csv, tmp_path):
    """An unreachable DATABASE_URL does not matter: the command never opens a connection."""
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
           "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "vinculo.settings"),
           "PYTHONPATH": os.pathsep.join([str(src), *sys.path]),
           "VINCULO_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "vinculo.cli", "analytics", str(cdnow_csv), *ARGS,
         "--calibration-end", "1997-09-30", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert round(json.loads(proc.stdout)["bg_nbd"]["alpha"], 3) == 4.414


def test_standard_errors_and_customer_intervals(cdnow_csv, tmp_path):
    """JSON: every parameter has a standard error and an interval at --interval-level; --out:
    lower and upper columns around P(alive), expected purchases and CLV, narrower at 50 %."""
    widths = {}
    for level in ("90", "50"):
        out_csv = tmp_path / f"customers_{level}.csv"
        result = json.loads(run(str(cdnow_csv), *ARGS, "--calibration-end", "1997-09-30",
                                "--json", "--out", str(out_csv), "--interval-level", level,
                                "--models", "all"))
        for key in ("bg_nbd", "mbg_nbd", "pareto_nbd", "gamma_gamma"):
            model = result[key]
            assert model["interval_level"] == int(level) / 100 and model["identified"]
            names = set(model["standard_errors"])
            assert names == set(model["intervals"]) and len(names) in (3, 4)
            for name in names:
                lo, hi = model["intervals"][name]
                assert model["standard_errors"][name] > 0 and lo < model[name] < hi
        rows = list(csv.DictReader(out_csv.open()))
        for col in ("p_alive", "expected_purchases", "clv"):
            est = [float(r[col]) for r in rows]
            lo = [float(r[f"{col}_lower"]) for r in rows]
            hi = [float(r[f"{col}_upper"]) for r in rows]
            assert all(a <= e <= b for a, e, b in zip(lo, est, hi, strict=True)), col
        first = next(r for r in rows if r["customer"] == "1")
        assert float(first["clv_lower"]) < float(first["clv"]) < float(first["clv_upper"])
        widths[level] = float(first["clv_upper"]) - float(first["clv_lower"])
    # CDNOW's BG/NBD: se(r) = 0.0126 (lifetimes reports the same).
    assert result["bg_nbd"]["standard_errors"]["r"] == pytest.approx(0.01256, abs=1e-4)
    assert widths["50"] < 0.6 * widths["90"]  # z 0.674 against 1.645


def test_human_table_shows_standard_errors_and_intervals(cdnow_csv):
    text = run(str(cdnow_csv), *ARGS, "--calibration-end", "1997-09-30")
    assert "std. error" in text and "90 % interval" in text
    assert "0.0126" in text  # se(r) of BG/NBD on CDNOW


@pytest.mark.parametrize("level", ["0", "100", "150", "-5"])
def test_interval_level_out_of_range_is_refused(cdnow_csv, level):
    with pytest.raises(CommandError, match="--interval-level"):
        run(str(cdnow_csv), *ARGS, "--interval-level", level)


def test_writes_nothing_into_the_current_folder(cdnow_csv, tmp_path):
    """The analyst command creates no ./var (no data directory, no static root)."""
    src = Path(__file__).resolve().parents[2] / "src"
    cwd = tmp_path / "here"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("VINCULO_DATA_DIR", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="vinculo.settings",
               PYTHONPATH=os.pathsep.join([str(src), *sys.path]))
    out_csv = tmp_path / "customers.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "vinculo.cli", "analytics", str(cdnow_csv), *ARGS,
         "--calibration-end", "1997-09-30", "--out", str(out_csv)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out_csv.exists()
    assert list(cwd.iterdir()) == []
