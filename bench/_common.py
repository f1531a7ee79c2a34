"""Helpers shared by the benchmarks: databases to run against, timing, percentiles, tables."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VINCULO = str(ROOT / ".venv" / "bin" / "vinculo")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


@dataclass
class Database:
    """A database a benchmark runs against: its environment for ``vinculo`` and how to drop it."""

    vendor: str  # "sqlite" or "postgresql"
    env: dict[str, str]
    owned: bool = True  # created by the benchmark, so dropped by it
    pg_name: str = ""
    data_dir: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        if self.vendor == "postgresql":
            return self.env["DATABASE_URL"]
        return f"sqlite:///{self.data_dir}/vinculo.sqlite3"

    def vinculo(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([VINCULO, *args], env=self.env, check=check, text=True,
                              capture_output=True)

    def drop(self) -> None:
        if not self.owned:
            if self.vendor == "postgresql":  # only the temporary data directory is ours
                shutil.rmtree(self.data_dir, ignore_errors=True)
            return
        if self.vendor == "postgresql":
            pg_drop(self.pg_name)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    env["DEBUG"] = "0"  # measure what production runs: no query log, no debug templates
    return env


def sqlite_database() -> Database:
    data_dir = tempfile.mkdtemp(prefix="vinculo-bench-")
    env = base_env() | {"VINCULO_DATA_DIR": data_dir}
    return Database("sqlite", env, data_dir=data_dir)


def pg_admin_connect():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5)


def pg_available() -> bool:
    try:
        pg_admin_connect().close()
    except Exception:
        return False
    return True


def pg_drop(name: str) -> None:
    with pg_admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_database(name: str = "vinculo_bench") -> Database:
    pg_drop(name)
    with pg_admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    data_dir = tempfile.mkdtemp(prefix="vinculo-bench-")
    env = base_env() | {"DATABASE_URL": f"{PG_SERVER}/{name}", "VINCULO_DATA_DIR": data_dir}
    return Database("postgresql", env, pg_name=name, data_dir=data_dir)


def existing_database(url: str) -> Database:
    """A database given by the user (``--reuse``): used as it is, never dropped."""
    data_dir = tempfile.mkdtemp(prefix="vinculo-bench-")
    env = base_env() | {"VINCULO_DATA_DIR": data_dir}
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        env["VINCULO_DATA_DIR"] = str(path.parent)
        return Database("sqlite", env, owned=False, data_dir=str(path.parent))
    env["DATABASE_URL"] = url
    return Database("postgresql", env, owned=False, data_dir=data_dir)


def timed(fn, *args, **kwargs) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (``p`` in 0..100), like numpy's default."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table with aligned columns."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def rows_from_demo_output(text: str) -> int:
    match = re.search(r"^([\d,]+) rows in ", text, re.MULTILINE)
    return int(match.group(1).replace(",", "")) if match else 0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
