"""Helpers for the tests that start the real `vinculo` commands (serve, scheduler, worker,
backup) as separate processes, as deployed: a fresh database of their own, free ports, the
venv's `vinculo` entry point.

The database follows the suite's: PostgreSQL when ``DATABASE_URL`` points at it (a throwaway
database, dropped at the end), else SQLite in the temporary data directory.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

VINCULO = Path(sys.executable).with_name("vinculo")  # the venv's entry point
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 10.0
REPO = Path(__file__).resolve().parent.parent
# Variables of the suite's own process that a deployed command must not inherit.
_NOT_INHERITED = ("SECRET_KEY", "VINCULO_ENV", "ALLOWED_HOSTS", "DATABASE_URL",
                  "DJANGO_ALLOW_ASYNC_UNSAFE", "WEB_CONCURRENCY", "PORT",
                  "DJANGO_SETTINGS_MODULE", "VINCULO_TASKS", "REDIS_URL", "VINCULO_CACHE_URL",
                  "VINCULO_CACHE_PREFIX", "AXES_FAILURE_LIMIT")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def suite_database_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def base_env(data_dir: Path) -> dict[str, str]:
    """The suite's environment less what a deployed command must not inherit."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env["VINCULO_DATA_DIR"] = str(data_dir)
    return env


@contextlib.contextmanager
def fresh_database(data_dir: Path, template: dict[str, str] | None = None,
                   ) -> Iterator[dict[str, str]]:
    """The environment of `vinculo` processes sharing one fresh database: empty, or a copy of
    the ``template`` environment's (the run's migrated template, the ``migrated`` fixture of
    tests/databases.py, or an installation a test populated)."""
    from tests.databases import copy_template, drop_database

    env = base_env(data_dir)
    url = suite_database_url()
    if url is None:  # SQLite: vinculo.sqlite3 under the data dir
        if template is not None:
            source = Path(template["VINCULO_DATA_DIR"])
            for path in source.glob("vinculo.sqlite3*"):
                shutil.copy2(path, data_dir / path.name)
        yield env
        return
    name = f"vinculo_deploy_{secrets.token_hex(4)}"
    if template is not None:
        env["DATABASE_URL"] = copy_template(name, template["DATABASE_URL"])
    else:
        import psycopg

        parts = urllib.parse.urlsplit(url)
        with psycopg.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")),
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        drop_database(env["DATABASE_URL"])


def vinculo(*args: str, env: dict[str, str], timeout: float = 900) -> str:
    """Run `vinculo <args>` to completion; its standard output (a failure quotes stderr)."""
    done = subprocess.run([str(VINCULO), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"vinculo {' '.join(args)}: {done.stdout[-2000:]}{done.stderr}"
    return done.stdout


class Server:
    """`vinculo serve` in a subprocess; its output goes to a file the failures quote."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(VINCULO), "serve", "--host", HOST, "--port", str(self.port),
                 "--workers", str(workers)],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_until_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"vinculo serve exited:\n{self.output()}"
            try:
                if request(self.port, "GET", "/login/", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"vinculo serve did not answer in {timeout} s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def request(port: int, method: str, path: str, *, headers: dict[str, str] | None = None,
            body: str | None = None, timeout: float = REQUEST_TIMEOUT,
            ) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    found = {}
    for header in headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def log_in(port: int, email: str, password: str) -> str:
    """Sign in through the login form; the session cookie."""
    status, headers, body = request(port, "GET", "/login/")
    assert status == 200
    csrf = cookies(headers)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"username": email, "password": password, "csrfmiddlewaretoken": token})
    status, headers, body = request(port, "POST", "/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"})
    assert status == 302, body[-2000:]
    return cookies(headers)["sessionid"]
