"""A private PostgreSQL primary and its streaming replica, and a private Redis, for benchmarks.

Built from the installed binaries in a temporary folder on free ports; tests/core/test_replica.py
builds its cluster with this module too (the tests may use the bench's tooling; the bench never
imports the tests). The primary is made with ``initdb``, the replica with ``pg_basebackup -R``
(a hot standby streaming from the primary). The servers are run as the ``postgres`` user when this
process is root: ``initdb`` refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"
PG_BIN_DIRS = (Path("/usr/local/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                                                 reverse=True), Path("/usr/bin"))
PG_USER = "postgres" if os.geteuid() == 0 else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pg_binary(name: str) -> str | None:
    """The first of the usual places that has PostgreSQL's ``name`` (initdb is not on PATH)."""
    for folder in PG_BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    return shutil.which(name)


def _pg(*args: str, log: Path | None = None) -> None:
    done = subprocess.run([*args], user=PG_USER, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}{tail}")


class Cluster:
    """A primary and (after ``add_replica``) its streaming replica, under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.primary_dir, self.replica_dir = root / "primary", root / "replica"
        self.primary_port, self.replica_port = free_port(), free_port()
        self.started: list[Path] = []
        if PG_USER:
            shutil.chown(root, PG_USER)

    def url(self, port: int, name: str = "vinculo") -> str:
        return f"postgres://postgres@{HOST}:{port}/{name}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def _start(self, data: Path, port: int) -> None:
        log = self.root / f"{data.name}.log"
        _pg(pg_binary("pg_ctl") or "pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60",
            "-o", f"-p {port} -k {self.root} -c listen_addresses={HOST}", "start", log=log)
        self.started.append(data)

    def init_primary(self, settings: str = "") -> None:
        """A fresh primary with an empty ``vinculo`` database, set up to stream to a replica.

        ``fsync`` stays on: the figures are those of a server that keeps its data.
        """
        _pg(pg_binary("initdb") or "initdb", "-D", str(self.primary_dir), "-U", "postgres",
            "-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C")
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                       "hot_standby_feedback = on\nmax_connections = 200\n" + settings)
        self._start(self.primary_dir, self.primary_port)
        self.sql(self.primary_port, 'CREATE DATABASE "vinculo"', database="postgres")

    def add_replica(self) -> None:
        """A hot standby of the primary as it is now, streaming what the primary writes next."""
        _pg(pg_binary("pg_basebackup") or "pg_basebackup", "-h", HOST, "-p",
            str(self.primary_port), "-U", "postgres", "-D", str(self.replica_dir), "-R",
            "-X", "stream", "-c", "fast", "--no-sync")
        self._start(self.replica_dir, self.replica_port)

    def stop(self, data: Path) -> None:
        """Stop one server at once (``immediate``: as if it died)."""
        _pg(pg_binary("pg_ctl") or "pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        self.started.remove(data)

    def primary(self, sql: str) -> list[tuple]:
        return self.sql(self.primary_port, sql)

    def replica(self, sql: str) -> list[tuple]:
        return self.sql(self.replica_port, sql)

    def sql(self, port: int, sql: str, database: str = "vinculo") -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(port, database), autocommit=True) as conn:
            cursor = conn.execute(sql)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def caught_up(self, timeout: float = 60) -> None:
        """Wait until the replica has replayed everything the primary has written."""
        target = self.sql(self.primary_port, "SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sql(self.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'")[0][0]:
                return
            time.sleep(0.1)
        raise RuntimeError("the replica did not catch up")

    def postmasters(self) -> list[int]:
        """The servers' process ids (each heads the process group of its backends)."""
        return [int((data / "postmaster.pid").read_text().split()[0]) for data in self.started]

    def close(self) -> None:
        for data in reversed(self.started):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                _pg(pg_binary("pg_ctl") or "pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        self.started.clear()


class Redis:
    """A private ``redis-server`` on a free port, nothing saved to disk."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--bind", HOST, "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.1)
        self.close()
        raise RuntimeError("redis-server did not answer")

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
