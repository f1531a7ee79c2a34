"""The analyst command end to end against the `lifetimes` pipeline on the same CSV file.

Usage:  python bench/analytics_command.py [--customers N] [--seed S] [--keep DIR]

Writes a transaction log of N customers (default 1,000,000; BG/NBD purchasing with CDNOW's
parameters, Gamma-Gamma spend) as a CSV, then runs, each in its own process and measured by
the kernel (user + system CPU and peak resident memory of that process, from wait4):

* ours:      ``vinculo analytics FILE --out customers.csv`` (default models: BG/NBD and
             Gamma-Gamma, P(alive), expected purchases, CLV, RFM for every customer);
* lifetimes: pandas ``read_csv``, ``summary_data_from_transaction_data``, ``BetaGeoFitter``
             and ``GammaGammaFitter`` fitted, P(alive), expected purchases and CLV for every
             customer, ``to_csv`` — the same two models and the same per-customer output.

Prints both and the ratios; the target is ours <= lifetimes on CPU and on memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import PYTHON, ROOT

LIFETIMES_PIPELINE = """
import sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
src, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, parse_dates=["date"])
s = summary_data_from_transaction_data(df, "customer", "date", monetary_value_col="amount",
                                       freq="D", freq_multiplier=7)
bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
rep = s[s["frequency"] > 0]
gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
s["p_alive"] = bg.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
s["expected_purchases"] = bg.conditional_expected_number_of_purchases_up_to_time(
    52, s["frequency"], s["recency"], s["T"])
s["expected_spend"] = gg.conditional_expected_average_profit(s["frequency"],
                                                              s["monetary_value"])
s["clv"] = gg.customer_lifetime_value(bg, s["frequency"], s["recency"], s["T"],
                                      s["monetary_value"], time=12, freq="W",
                                      discount_rate=0.0080)
s.to_csv(out)
"""


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process, from the kernel's accounting."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[:3]} failed:\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def write_log(path: Path, n: int, seed: int) -> int:
    import numpy as np

    from vinculo.analytics.stats.simulate import simulate_bgnbd_transactions

    log = simulate_bgnbd_transactions(n, 0.243, 4.414, 0.793, 2.426, p=6.25, q=3.74,
                                      gamma=15.44, rng=np.random.default_rng(seed))
    with path.open("w") as f:
        f.write("customer,date,amount\n")
        dates = log.date.astype("datetime64[D]").astype(str)
        amounts = np.char.mod("%.2f", log.amount)
        for chunk in range(0, log.customer.size, 500_000):
            sl = slice(chunk, chunk + 500_000)
            f.write("\n".join(f"{c},{d},{a}" for c, d, a in zip(
                log.customer[sl].tolist(), dates[sl].tolist(), amounts[sl].tolist(),
                strict=True)))
            f.write("\n")
    return int(log.customer.size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="directory for the CSV files (kept; an "
                        "existing transactions.csv there is reused)")
    parser.add_argument("--write-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_only:
        rows = write_log(args.write_only, args.customers, args.seed)
        print(f"{args.customers:,} customers, {rows:,} transactions", end="")
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="vinculo-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "transactions.csv"
    if not src.exists():
        # In a process of its own: a child's peak memory as the kernel reports it includes
        # the parent's pages at fork, so this process stays small.
        t = time.perf_counter()
        done = subprocess.run([PYTHON, __file__, "--write-only", str(src), "--customers",
                               str(args.customers), "--seed", str(args.seed)],
                              check=True, capture_output=True, text=True)
        print(f"{done.stdout} written in {time.perf_counter() - t:.1f} s "
              f"({src.stat().st_size / 2**20:.0f} MiB)")
    env = {**os.environ, "VINCULO_DATA_DIR": str(work / "var")}
    env.pop("DATABASE_URL", None)
    ours_cmd = [str(ROOT / ".venv" / "bin" / "vinculo"), "analytics", str(src),
                "--customer-col", "customer", "--date-col", "date", "--amount-col", "amount",
                "--out", str(work / "ours.csv")]
    theirs_cmd = [PYTHON, "-c", LIFETIMES_PIPELINE, str(src), str(work / "lifetimes.csv")]
    ours = measure(ours_cmd, env)
    theirs = measure(theirs_cmd, env)
    print(f"  {'':<36}{'wall s':>10}{'CPU s':>10}{'peak MiB':>10}")
    for label, (wall, cpu, rss) in (("vinculo analytics --out", ours),
                                    ("lifetimes pipeline (BG/NBD + GG)", theirs)):
        print(f"  {label:<36}{wall:>10.1f}{cpu:>10.1f}{rss:>10.0f}")
    cpu_ratio, rss_ratio = ours[1] / theirs[1], ours[2] / theirs[2]
    ok = cpu_ratio <= 1 and rss_ratio <= 1
    print(f"  ours / lifetimes: CPU {cpu_ratio:.2f}x, memory {rss_ratio:.2f}x "
          f"({'PASS' if ok else 'FAIL'}: target <= 1x both)")
    print(f"  (peak memory of this script itself: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
    if not args.keep:
        for f in work.glob("*.csv"):
            f.unlink()


if __name__ == "__main__":
    main()
