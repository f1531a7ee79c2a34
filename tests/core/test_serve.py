"""`vinculo serve` as deployed: the real command, several gunicorn workers, concurrent clients.

The database follows the suite's (tests/deploy.py): a copy of the run's migrated template, on
PostgreSQL when ``DATABASE_URL`` points at it, else SQLite in a temporary data dir. `vinculo
serve` runs its migrate step on it (nothing to apply; `vinculo demo` on an empty data
directory is the first deploy that migrates from nothing, tests/core/test_demo.py); the
organisation, user and API token come from the operator commands, run against the same
database. A second
serve beside the first shows that each has its own gunicorn control socket.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy import (
    HOST,
    Server,
    fresh_database,
    log_in,
    request,
    vinculo,
)

PASSWORD = "Corr3ct-Horse-Battery"
EMAIL = "admin@serve.test"
CLIENTS = 8
REQUESTS = 200


@pytest.fixture(scope="module")
def database_env(tmp_path_factory, migrated) -> Iterator[dict[str, str]]:
    """The environment of every `vinculo` process here: a copy of the run's migrated template
    (a database of its own on PostgreSQL, dropped at the end)."""
    with fresh_database(tmp_path_factory.mktemp("serve"), migrated) as env:
        yield env


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
        vinculo("createorg", "Serve Test", env=database_env)
        vinculo("createuser", "--org", "Serve Test", "--email", EMAIL, "--password", PASSWORD,
                 "--role", "admin", env=database_env)
        key = vinculo("token", "--email", EMAIL, env=database_env).split()[-1]
        yield Deployment(database_env, server, key, log_in(server.port, EMAIL, PASSWORD))
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
