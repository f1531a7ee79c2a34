"""`vinculo serve` as deployed: the real command, several gunicorn workers, concurrent clients.

The database follows the suite's: PostgreSQL when ``DATABASE_URL`` points at it (the test makes
a throwaway database of its own and drops it at the end), else SQLite in a temporary data dir.
`vinculo serve` migrates that fresh database itself, as on a first deploy; the organisation,
user and API token come from the operator commands, run against the same database. A second
serve beside the first shows that each has its own gunicorn control socket.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

VINCULO = Path(sys.executable).with_name("vinculo")  # the venv's entry point
HOST = "127.0.0.1"
PASSWORD = "Corr3ct-Horse-Battery"
EMAIL = "admin@serve.test"
CLIENTS = 8
REQUESTS = 200
REQUEST_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _suite_database_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture(scope="module")
def database_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """The environment of every `vinculo` process here: a fresh, empty database."""
    tmp_path = tmp_path_factory.mktemp("serve")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "VINCULO_ENV", "ALLOWED_HOSTS", "DATABASE_URL",
                     "DJANGO_ALLOW_ASYNC_UNSAFE", "WEB_CONCURRENCY", "PORT")
    }
    env["VINCULO_DATA_DIR"] = str(tmp_path)
    url = _suite_database_url()
    if url is None:
        yield env  # SQLite: var/vinculo.sqlite3 under the temporary data dir
        return
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"vinculo_serve_{secrets.token_hex(4)}"
    maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _vinculo(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(VINCULO), *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"vinculo {' '.join(args)}: {done.stderr}"
    return done.stdout


class Server:
    """`vinculo serve` in a subprocess; its output goes to a file the failures quote."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = _free_port()
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


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    found = {}
    for header in headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def log_in(port: int) -> str:
    """Sign in through the login form; the session cookie."""
    status, headers, body = request(port, "GET", "/login/")
    assert status == 200
    csrf = _cookies(headers)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token})
    status, headers, body = request(port, "POST", "/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"})
    assert status == 302, body[-2000:]
    return _cookies(headers)["sessionid"]


def hammer(port: int, jobs: list[tuple[str, dict[str, str], str]]) -> tuple[Counter, list]:
    """Send ``jobs`` (path, headers, what the body must contain) from CLIENTS threads at once.

    Returns the count of (path, status) and the failures (time-outs, resets, bodies)."""
    statuses: Counter = Counter()
    failures: list = []
    lock = threading.Lock()
    queue = iter(list(jobs))
    start = threading.Barrier(CLIENTS)

    def client() -> None:
        start.wait()
        while True:
            with lock:
                job = next(queue, None)
            if job is None:
                return
            path, headers, expected = job
            try:
                status, _headers, body = request(port, "GET", path, headers=headers)
            except (OSError, http.client.HTTPException) as exc:  # time-out, reset, bad reply
                with lock:
                    failures.append((path, repr(exc)))
                continue
            with lock:
                statuses[path, status] += 1
                if status == 200 and expected.encode() not in body:
                    failures.append((path, f"200 without {expected!r}"))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, failures


class Deployment:
    def __init__(self, env: dict[str, str], server: Server, key: str, session: str) -> None:
        self.env, self.server, self.key, self.session = env, server, key, session
        self.data_dir = Path(env["VINCULO_DATA_DIR"])


@pytest.fixture(scope="module")
def deployment(database_env) -> Iterator[Deployment]:
    """`vinculo serve --workers 3` on the fresh database, with a user, an API token, a session."""
    data_dir = Path(database_env["VINCULO_DATA_DIR"])
    server = Server(database_env, workers=3, log=data_dir / "serve.log")
    try:
        server.wait_until_ready()  # `vinculo serve` has migrated the empty database
        _vinculo("createorg", "Serve Test", env=database_env)
        _vinculo("createuser", "--org", "Serve Test", "--email", EMAIL, "--password", PASSWORD,
                 "--role", "admin", env=database_env)
        key = _vinculo("token", "--email", EMAIL, env=database_env).split()[-1]
        yield Deployment(database_env, server, key, log_in(server.port))
    finally:
        server.stop()


def test_serve_answers_concurrent_clients_with_several_workers(deployment):
    server = deployment.server
    page = {"Cookie": f"sessionid={deployment.session}"}
    api = {"Authorization": f"Token {deployment.key}", "Accept": "application/json"}
    kinds = [("/", page, EMAIL), ("/customers/accounts/", page, EMAIL),
             ("/api/accounts/", api, '"results"')]
    jobs = [kinds[i % len(kinds)] for i in range(REQUESTS)]
    began = time.monotonic()
    statuses, failures = hammer(server.port, jobs)
    elapsed = time.monotonic() - began

    wrong = {f"{path} {status}": n for (path, status), n in sorted(statuses.items())
             if status != 200}
    timeouts = [f for f in failures if "timed out" in f[1]]
    others = [f for f in failures if f not in timeouts]
    summary = (f"{REQUESTS} requests from {CLIENTS} clients in {elapsed:.1f} s: "
               f"{sum(wrong.values())} with a wrong status {wrong}, {len(timeouts)} "
               f"time-outs, {len(others)} other failures {others[:3]}")
    print(summary)
    assert (wrong, timeouts, others) == ({}, [], []), f"{summary}\n{server.output()}"
    assert sum(statuses.values()) == REQUESTS
    assert server.process.poll() is None, server.output()


def control(path: Path, command: str) -> dict:
    """Ask gunicorn's control socket at ``path``; the master opens it after forking the workers,
    which may already be answering."""
    from gunicorn.ctl.client import ControlClient, ControlClientError

    deadline = time.monotonic() + 10
    while True:
        try:
            with ControlClient(str(path), timeout=10) as client:
                return client.send_command(command)
        except ControlClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_two_serves_on_one_host_each_have_their_own_control_socket(deployment):
    second = Server(deployment.env, workers=1, log=deployment.data_dir / "second.log")
    try:
        second.wait_until_ready()
        for server in (deployment.server, second):
            path = deployment.data_dir / f"gunicorn-{server.port}.ctl"
            stats = control(path, "show stats")
            listeners = control(path, "show listeners")["listeners"]
            assert stats["pid"] == server.process.pid, server.output()
            assert [lnr["address"] for lnr in listeners] == [f"http://{HOST}:{server.port}"]
    finally:
        second.stop()
    # The first one's socket outlives the second serve.
    path = deployment.data_dir / f"gunicorn-{deployment.server.port}.ctl"
    assert control(path, "show stats")["pid"] == deployment.server.process.pid


def test_the_control_socket_is_off_where_its_path_would_be_too_long(settings, tmp_path):
    from vinculo.core.management.commands.serve import control_socket_args

    settings.DATA_DIR = tmp_path
    assert control_socket_args(8000) == ["--control-socket", str(tmp_path / "gunicorn-8000.ctl")]
    settings.DATA_DIR = tmp_path / ("d" * 100)
    assert control_socket_args(8000) == ["--no-control-socket"]


def test_static_files_are_compressed_and_cached_forever_under_their_hashed_name(deployment):
    """`vinculo serve` collected the static files (plotly.min.js among them, 4.8 MB) into the
    manifest storage: whitenoise answers the hashed name gzipped and cacheable for good."""
    manifest = json.loads((deployment.data_dir / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["vendor/plotly.min.js"]
    assert hashed != "vendor/plotly.min.js"
    status, headers, body = request(deployment.server.port, "GET", f"/static/{hashed}",
                                    headers={"Accept-Encoding": "gzip"})
    assert status == 200, headers
    assert headers["Content-Encoding"] in ("gzip", "br"), headers
    assert len(body) < 2_000_000
    cache = headers["Cache-Control"]
    assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache).group(1)) >= 31536000
