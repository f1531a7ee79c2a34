"""One migrated database per test run, copied wherever a test needs a database.

Migrating Vínculo's schema from nothing costs ~45 s of CPU (Django renders the models' states
some 15,000 times on the way). A run used to pay that once per pytest-xdist worker for
pytest-django's test database and again for the template of the tests that start the real
commands. Now the first process of the run that needs the schema migrates a template with the
real ``vinculo migrate`` (under a lock the workers share; the others wait for it), and every
worker's test database and every deployed test's database is a copy of it: ``CREATE DATABASE
… TEMPLATE`` on PostgreSQL, SQLite's online backup API into the in-memory test database (or a
file copy for a deployed command). ``vinculo demo`` on an empty data directory, the first
deploy, still migrates by itself (tests/core/test_demo.py).

The database follows the suite's: PostgreSQL when ``DATABASE_URL`` points at it (the template
and the test databases carry this run's tag and are dropped at its end), else SQLite.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy import base_env, suite_database_url, vinculo

# This run's tag, set by the process that starts the run (the xdist controller) before any
# worker starts, so every worker finds the same template.
RUN_TAG = "VINCULO_TEST_RUN"


def _run_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"vinculo-tests-{os.environ[RUN_TAG]}"


def _maintenance(url: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))


def _with_database(url: str, name: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=f"/{name}"))


@contextlib.contextmanager
def _run_lock() -> Iterator[Path]:
    """The run's folder, held exclusively: one process builds or copies the template at a
    time (two ``CREATE DATABASE … TEMPLATE`` at once can find the template busy)."""
    folder = _run_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def template_env() -> dict[str, str]:
    """The environment of a `vinculo` process on the run's migrated template (built by the
    first caller of the run)."""
    with _run_lock() as folder:
        ready = folder / "template.json"
        if ready.exists():
            return json.loads(ready.read_text())
        env = base_env(folder / "template")
        (folder / "template").mkdir(exist_ok=True)
        url = suite_database_url()
        if url is not None:
            import psycopg

            name = f"vinculo_template_{os.environ[RUN_TAG]}"
            with psycopg.connect(_maintenance(url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
            env["DATABASE_URL"] = _with_database(url, name)
        vinculo("migrate", "--verbosity", "0", env=env)
        ready.write_text(json.dumps(env))
        return env


def copy_template(name: str, template: str | None = None) -> str:
    """A new PostgreSQL database ``name`` copied from ``template`` (a database URL; the run's
    migrated template by default); its URL."""
    import psycopg

    template = template or template_env()["DATABASE_URL"]
    with _run_lock(), psycopg.connect(_maintenance(template), autocommit=True) as conn:
        source = urllib.parse.urlsplit(template).path[1:]
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return _with_database(template, name)


def drop_database(url: str) -> None:
    import psycopg

    name = urllib.parse.urlsplit(url).path[1:]
    with psycopg.connect(_maintenance(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_sqlite_template(target: sqlite3.Connection) -> None:
    """The template's rows and schema into ``target`` (SQLite's online backup API)."""
    source = sqlite3.connect(Path(template_env()["VINCULO_DATA_DIR"]) / "vinculo.sqlite3")
    try:
        source.backup(target)
    finally:
        source.close()


# Set by `make test`: the process that starts the run migrates the template in the background
# from the start, while the workers collect and run the tests without a database, instead of
# the first worker to need it doing so while the other waits (a minute of one core idle).
# Off by default: a run of a few tests with no database would pay for a migration it never uses.
EARLY = "VINCULO_TEST_EARLY_TEMPLATE"
_early: threading.Thread | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _early
    if not hasattr(config, "workerinput"):  # the process that starts the run
        os.environ.setdefault(RUN_TAG, secrets.token_hex(4))
        if os.environ.get(EARLY) == "1":
            _early = threading.Thread(target=template_env, name="template", daemon=True)
            _early.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or RUN_TAG not in os.environ:
        return
    if _early is not None:
        _early.join()  # its database is dropped below only once it exists
    folder = _run_dir()
    ready = folder / "template.json"
    if ready.exists() and "DATABASE_URL" in (env := json.loads(ready.read_text())):
        drop_database(env["DATABASE_URL"])
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker) -> Iterator[None]:
    """pytest-django's test database, as a copy of the run's template instead of a migration
    of its own."""
    from django.conf import settings
    from django.db import connections

    from tests import flush

    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "main")
    connection = connections["default"]
    url = ""
    with django_db_blocker.unblock():
        connection.close()
        if connection.vendor == "postgresql":
            url = copy_template(f"test_vinculo_{os.environ[RUN_TAG]}_{worker_id}")
            name = urllib.parse.urlsplit(url).path[1:]
        else:
            name = "file:memorydb_default?mode=memory&cache=shared"  # Django's own choice
        settings.DATABASES["default"]["NAME"] = name
        connection.settings_dict["NAME"] = name
        for alias in connections:  # the replica alias mirrors the test database
            if settings.DATABASES[alias].get("TEST", {}).get("MIRROR") == "default":
                connections[alias].close()
                connections[alias].creation.set_as_test_mirror(connection.settings_dict)
        if connection.vendor == "sqlite":
            connection.ensure_connection()  # kept open: Django never closes in-memory ones
            copy_sqlite_template(connection.connection)
        flush.remember_template()
    flush.install()
    yield
    if url:
        with django_db_blocker.unblock():
            for alias in connections:
                connections[alias].close()
            drop_database(url)


@pytest.fixture(scope="session")
def migrated() -> dict[str, str]:
    """The run's migrated template, for the deployed tests to copy
    (``fresh_database(data_dir, migrated)``)."""
    return template_env()


@pytest.fixture
def scratch_database(django_db_blocker) -> Iterator[str]:
    """An empty database of its own (its alias), for a data-migration test to migrate from
    nothing to the state it starts from and on through the migration under test. Rolling the
    suite's database back instead unapplies every app that depends on the one under test and
    re-applies them all afterwards: half a minute of CPU per test."""
    from django.db import connections

    base = connections.settings["default"]
    alias = "scratch"
    url = ""
    with django_db_blocker.unblock():
        if connections["default"].vendor == "postgresql":
            worker_id = os.environ.get("PYTEST_XDIST_WORKER", "main")
            name = f"scratch_{os.environ[RUN_TAG]}_{worker_id}"
            url = _with_database(suite_database_url() or "", name)
            import psycopg

            with psycopg.connect(_maintenance(url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
        else:
            name = ":memory:"
        connections.settings[alias] = {**base, "NAME": name, "TEST": {**base.get("TEST", {}),
                                                                        "MIRROR": None}}
        try:
            yield alias
        finally:
            connections[alias].close()
            del connections[alias]
            del connections.settings[alias]
            if url:
                drop_database(url)


def migrate_to(alias: str, targets: list[tuple[str, str]], *, latest: tuple[str, ...] = ()):
    """Migrate the database ``alias`` to ``targets`` and the apps ``latest`` to their last
    migration; the historical apps of that state."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    targets = [*targets, *(node for app in latest
                           for node in executor.loader.graph.leaf_nodes(app))]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps
