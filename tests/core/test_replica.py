"""Read replicas against a real PostgreSQL streaming replica (core/db.py).

The test builds its own cluster from the installed binaries, in a temporary folder on free
ports: a private primary (initdb), its schema and rows copied from the suite's migrated test
database (pg_dump: migrating from scratch takes minutes here), and a hot standby made with
``pg_basebackup -R``. Vínculo runs in gunicorn against both (``DATABASE_URL``,
``DATABASE_REPLICA_URL``, ``VINCULO_REPLICA_MAX_LAG``). What each read saw is told apart by
pausing replay on the replica (``pg_wal_replay_pause()``): a row written after the pause is on
the primary only. tests/conftest.py collects this module only on the PostgreSQL pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from bench._pgcluster import HOST, Cluster

from tests.deploy import cookies, free_port, request

# Creates the suite's test database, whose schema the private primary copies.
pytestmark = pytest.mark.django_db

MAX_LAG = 4.0  # seconds; the health check then runs every 2 s (core.db.check_interval)
PASSWORD = "Corr3ct-Horse-Battery"
READER, WRITER = "reader@replica.test", "writer@replica.test"

SEED = f"""
from vinculo.core.services import api_token_create, organization_create, user_create
org = organization_create(name="Replica Test")
for email in ({READER!r}, {WRITER!r}):
    user = user_create(organization=org, email=email, password={PASSWORD!r}, role="admin")
    print("TOKEN", email, api_token_create(user=user, name="replica test")[1])
"""


def build(cluster: Cluster, schema_from: str) -> None:
    """The primary with the suite's schema (its test database is migrated and empty: its dump
    is the schema), then the replica."""
    cluster.init_primary(settings="fsync = off\nfull_page_writes = off\n")
    dump = subprocess.run(
        ["/usr/bin/pg_dump", "--no-owner", "--no-privileges", schema_from],
        capture_output=True, timeout=120)
    assert dump.returncode == 0, dump.stderr.decode()
    load = subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", cluster.primary_url], input=dump.stdout,
        capture_output=True, timeout=120)
    assert load.returncode == 0, load.stderr.decode()[-2000:]
    cluster.add_replica()


class App:
    """Vínculo in gunicorn (one worker: one health-check cache) on the private cluster."""

    def __init__(self, cluster: Cluster, root: Path) -> None:
        self.port = free_port()
        self.log = root / "gunicorn.log"
        env = {k: v for k, v in os.environ.items()
               if k not in ("SECRET_KEY", "VINCULO_ENV", "ALLOWED_HOSTS", "WEB_CONCURRENCY")}
        env.update(DATABASE_URL=cluster.url(cluster.primary_port),
                   DATABASE_REPLICA_URL=cluster.url(cluster.replica_port),
                   VINCULO_REPLICA_MAX_LAG=str(MAX_LAG), VINCULO_DATA_DIR=str(root / "data"))
        self.env = env
        seeded = subprocess.run([str(Path(sys.executable).with_name("vinculo")), "shell", "-c",
                                 SEED], env=env, capture_output=True, text=True, timeout=120)
        assert seeded.returncode == 0, seeded.stderr
        self.tokens = dict(line.split()[1:] for line in seeded.stdout.splitlines()
                           if line.startswith("TOKEN "))
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("gunicorn")), "vinculo.wsgi:application",
                 "--bind", f"{HOST}:{self.port}", "--workers", "1", "--threads", "1",
                 "--no-control-socket"],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                if request(self.port, "GET", "/login/", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        self.sessions = {email: self.log_in(email) for email in (READER, WRITER)}
        # Signing in is a write: the sessions read from the primary until the replica must
        # have it (core.db.ReplicaPinMiddleware). The tests start once that is over.
        time.sleep(MAX_LAG + MAX_LAG / 2 + 0.2)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # gunicorn: quick shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_in(self, email: str) -> str:
        status, headers, body = request(self.port, "GET", "/login/")
        csrf = cookies(headers)["csrftoken"]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        form = urllib.parse.urlencode({"username": email, "password": PASSWORD,
                                       "csrfmiddlewaretoken": token.decode()})
        status, headers, body = request(self.port, "POST", "/login/", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"})
        assert status == 302, body[-2000:]
        return cookies(headers)["sessionid"]

    def get(self, email: str, path: str) -> str:
        status, _headers, body = request(self.port, "GET", path,
                                         headers={"Cookie": f"sessionid={self.sessions[email]}"})
        assert status == 200, f"{path}: {status}\n{self.output()}"
        return body.decode()

    def api_create_account(self, name: str) -> None:
        """Someone else's write: through the API (a token, no session to pin)."""
        status, _headers, body = request(
            self.port, "POST", "/api/accounts/", body=json.dumps({"name": name}),
            headers={"Authorization": f"Token {self.tokens[READER]}",
                     "Content-Type": "application/json", "Accept": "application/json"})
        assert status == 201, body[-2000:]

    def form_create_account(self, email: str, name: str) -> None:
        """The user's own write, through the page's form (the session is pinned)."""
        cookie = f"sessionid={self.sessions[email]}"
        status, headers, body = request(self.port, "GET", "/customers/accounts/new/",
                                        headers={"Cookie": cookie})
        assert status == 200, body[-2000:]
        csrf = cookies(headers)["csrftoken"]
        fields = _FormDefaults()
        fields.feed(body.decode())
        form = urllib.parse.urlencode({**fields.values, "name": name})
        status, _headers, body = request(self.port, "POST", "/customers/accounts/new/",
                                         body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{cookie}; csrftoken={csrf}"})
        assert status == 302, body[-3000:]


class _FormDefaults(HTMLParser):
    """What a browser would post for a form left as shown: inputs' values, selects' choices."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("checkbox", "radio", "submit"):
            self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and (self.select not in self.values
                                                  or "selected" in a):
            self.values[self.select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None


EXPORT = "/customers/accounts/export/?format=csv"  # a heavy read: streamed from the replica
LIST = "/customers/accounts/"  # an ordinary page: the primary


@pytest.fixture(scope="module")
def setup(django_db_setup) -> Iterator[tuple[Cluster, App]]:
    from django.db import connection

    suite = connection.settings_dict
    schema_from = (f"postgres://{suite['USER'] or 'postgres'}@{suite['HOST'] or HOST}:"
                   f"{suite['PORT'] or 5432}/{suite['NAME']}")
    # In memory where there is a tmpfs: two clusters' files are written and removed in a
    # blink there (removing them from this machine's disk alone took 10 s).
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    root = Path(tempfile.mkdtemp(prefix="vinculo-replica-", dir=shm))
    cluster, app = Cluster(root), None
    try:
        build(cluster, schema_from)
        app = App(cluster, root)
        yield cluster, app
    finally:
        if app is not None:
            app.stop()
        cluster.close()
        shutil.rmtree(root, ignore_errors=True)


def test_the_cluster_streams(setup):
    cluster, _app = setup
    assert cluster.replica("SELECT pg_is_in_recovery()") == [(True,)]
    assert cluster.primary("SELECT count(*) FROM pg_stat_replication") == [(1,)]


def test_heavy_reads_go_to_the_replica_and_own_writes_stay_on_the_primary(setup):
    cluster, app = setup
    app.api_create_account("Anchor Ltd")  # a fresh commit: the replica's lag starts from it
    cluster.caught_up()
    cluster.replica("SELECT pg_wal_replay_pause()")
    paused_at = time.monotonic()
    try:
        app.api_create_account("Ghost Ltd")  # on the primary only
        app.form_create_account(WRITER, "Own Ltd")

        reader_export = app.get(READER, EXPORT)
        assert "Anchor Ltd" in reader_export
        assert "Ghost Ltd" not in reader_export  # read on the paused replica
        assert "Ghost Ltd" in app.get(READER, LIST)  # an ordinary page reads the primary
        # The writer's session sent a write: its heavy reads stay on the primary.
        writer_export = app.get(WRITER, EXPORT)
        assert "Own Ltd" in writer_export and "Ghost Ltd" in writer_export
        assert time.monotonic() - paused_at < MAX_LAG, "too slow to tell replica from primary"

        # Replay stays paused past the max lag (and one health check): back to the primary.
        time.sleep(MAX_LAG + MAX_LAG / 2 + 0.5)
        assert "Ghost Ltd" in app.get(READER, EXPORT)
    finally:
        cluster.replica("SELECT pg_wal_replay_resume()")


def test_replica_back_in_step_is_used_again_then_down_falls_back(setup):
    cluster, app = setup
    time.sleep(MAX_LAG / 2 + 0.2)  # the cached "lagging" verdict expires
    app.api_create_account("Second Anchor Ltd")
    cluster.caught_up()
    cluster.replica("SELECT pg_wal_replay_pause()")
    app.api_create_account("Second Ghost Ltd")
    assert "Second Ghost Ltd" not in app.get(READER, EXPORT)  # the replica again
    cluster.replica("SELECT pg_wal_replay_resume()")

    cluster.stop(cluster.replica_dir)  # the replica dies with the worker's connection open
    app.api_create_account("After Outage Ltd")
    export = app.get(READER, EXPORT)  # the primary answers: nothing else has this row
    assert "After Outage Ltd" in export and "Second Ghost Ltd" in export
    for page in ("/analytics/", "/analytics/forecast/"):  # the heavy pages answer too
        app.get(READER, page)
