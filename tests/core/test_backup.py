"""`vinculo backup` and `vinculo restore` as deployed: real commands, real databases.

One source installation (a demo organisation: accounts, contacts, orders, invoices, tickets,
and files attached through the attachments service) is backed up once per module; each test
restores that archive into an installation of its own and compares every table's rows and
every stored file byte for byte, or proves that a refused restore changed nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy import VINCULO, fresh_database, suite_database_url, vinculo

# The tests share one backed-up source installation (a module fixture): `make test` keeps a
# module's tests on one worker (--dist loadscope), so it is built once.

VENDOR = "postgresql" if suite_database_url() else "sqlite"
OTHER = {"postgresql": "sqlite", "sqlite": "postgresql"}[VENDOR]
NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
PASSWORD = "Corr3ct-Horse-Battery"
# Every byte value, and a text file: attached through the product's own service.
BINARY = bytes(range(256)) * 37 + b"\x00end"
TEXT = "Acta de reunión — ñandú, 10 €\n".encode() * 50
ATTACH = f"""
from django.core.files.base import ContentFile
from vinculo.attachments.services import file_attach
from vinculo.core.audit import acting_as
from vinculo.core.models import User
from vinculo.core.tenancy import organization_scope
from vinculo.sales.models import Order
from vinculo.service.models import Ticket
admin = User.objects.get(email="admin@demo.vinculo.test")
with organization_scope(admin.organization), acting_as(admin):
    file_attach(actor=admin, record=Ticket.objects.order_by("pk").first(),
                upload=ContentFile({BINARY!r}, name="scan.bin"))
    file_attach(actor=admin, record=Order.objects.order_by("pk").first(),
                upload=ContentFile({TEXT!r}, name="acta.txt"))
"""
# Tables that must hold rows in the source, or the comparison would prove little.
POPULATED = ["core_organization", "core_user", "customers_account", "customers_contact",
             "sales_order", "billing_invoice", "billing_payment", "service_ticket",
             "interactions_interaction", "attachments_recordfile", "django_migrations"]


# Attaches files to a ticket, one transaction each, until told to stop: the app at work.
WRITER = """
import os
from django.core.files.base import ContentFile
from vinculo.attachments.services import file_attach
from vinculo.core.audit import acting_as
from vinculo.core.models import User
from vinculo.core.tenancy import organization_scope
from vinculo.service.models import Ticket
admin = User.objects.get(email="admin@demo.vinculo.test")
with organization_scope(admin.organization), acting_as(admin):
    ticket = Ticket.objects.order_by("pk").first()
    i = 0
    while not os.path.exists(os.environ["STOP_FILE"]) and i < 3000:
        file_attach(actor=admin, record=ticket,
                    upload=ContentFile(os.urandom(2000 + i), name=f"w{i}.bin"))
        i += 1
"""
# Every file row of the installation: its name and whether its stored bytes are all there.
CHECK_FILES = """
from vinculo.attachments.models import RecordFile
for row in RecordFile.all_objects.order_by("pk"):
    stored = row.file.storage.exists(row.file.name) and row.file.storage.size(row.file.name)
    print(row.file.name, stored == row.size)
"""


@dataclass
class Source:
    env: dict[str, str]
    archive: Path
    output: str


def tables(env: dict[str, str]) -> dict[str, list[str]]:
    """Every table of the installation's database: its rows, each as text, in order (and on
    PostgreSQL every sequence's position, as a pseudo-table)."""
    result: dict[str, list[str]] = {}
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            names = [row[0] for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "'public' AND table_type = 'BASE TABLE'")]
            for name in names:
                result[name] = sorted(map(repr, conn.execute(f'SELECT * FROM "{name}"')))
            result["<sequences>"] = sorted(map(repr, conn.execute(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = 'public'")))
        return result
    path = Path(env["VINCULO_DATA_DIR"]) / "vinculo.sqlite3"
    if not path.exists():
        return result
    with sqlite3.connect(path) as conn:
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            result[name] = sorted(map(repr, conn.execute(f'SELECT * FROM "{name}"')))
    conn.close()
    return result


def stored(env: dict[str, str]) -> dict[str, bytes]:
    """Every stored file of the installation (the default storage's folder): name → bytes."""
    root = Path(env["VINCULO_DATA_DIR"]) / "uploads"
    if not root.is_dir():
        return {}
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def vinculo_fails(*args: str, env: dict[str, str]) -> str:
    """Run `vinculo <args>`, which must fail; its standard error."""
    done = subprocess.run([str(VINCULO), *args], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode != 0, done.stdout
    return done.stderr


def rewrite(archive: Path, target: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of ``archive`` whose members went through ``change(name, data)``."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as out:
        for info in src:
            data = change(info.name, src.extractfile(info).read())
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


@pytest.fixture(scope="module")
def source(tmp_path_factory, migrated) -> Iterator[Source]:
    with fresh_database(tmp_path_factory.mktemp("backup-source"), migrated) as env:
        vinculo("demo", "--customers", "30", "--no-progress", "--password", PASSWORD, env=env)
        vinculo("shell", "--verbosity", "0", "-c", ATTACH, env=env)
        archive = tmp_path_factory.mktemp("archives") / "vinculo.tar.gz"
        output = vinculo("backup", str(archive), env=env)
        yield Source(env, archive, output)


@pytest.fixture
def occupied(tmp_path, migrated) -> Iterator[dict[str, str]]:
    """An installation with data of its own: an organisation and a stored file."""
    (tmp_path / "target").mkdir()
    with fresh_database(tmp_path / "target", migrated) as env:
        vinculo("createorg", "Already Here", env=env)
        stale = Path(env["VINCULO_DATA_DIR"]) / "uploads" / "files" / "999" / "stale"
        stale.parent.mkdir(parents=True)
        stale.write_bytes(b"not in the archive")
        yield env


def test_backup_restored_into_an_empty_installation_has_every_row_and_file(source, tmp_path):
    original_tables, original_files = tables(source.env), stored(source.env)
    for table in POPULATED:
        assert original_tables[table], f"the source has no {table} rows"
    assert BINARY in original_files.values() and TEXT in original_files.values()
    assert f"{NAMES[VENDOR]} database" in source.output
    assert f"{len(original_files)} stored files" in source.output

    with tarfile.open(source.archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format_version"] == 1 and manifest["vinculo_version"] == "0.1.0"
    assert manifest["database"]["vendor"] == VENDOR and manifest["created_at"]
    assert "attachments.0001_files_initial" in manifest["migrations"]
    assert {entry["name"]: (entry["size"], entry["sha256"]) for entry in manifest["files"]} == {
        name: (len(data), hashlib.sha256(data).hexdigest())
        for name, data in original_files.items()}
    assert manifest["missing"] == []

    # A database without tables and an empty data directory: nothing but the archive.
    with fresh_database(tmp_path / "target") as env:
        assert tables(env) in ({}, {"<sequences>": []}) and not stored(env)
        out = vinculo("restore", str(source.archive), env=env)
        assert out.startswith(f"Restored {source.archive}"), out
        restored = tables(env)
        assert restored.keys() == original_tables.keys()
        for table, rows in original_tables.items():
            assert restored[table] == rows, table
        assert stored(env) == original_files
        # The product reads the restored file through its own storage and rows.
        check = vinculo("shell", "--verbosity", "0", "-c", (
            "import hashlib\n"
            "from vinculo.attachments.models import RecordFile\n"
            "for row in RecordFile.all_objects.order_by('pk'):\n"
            "    print(row.filename, hashlib.sha256(row.file.read()).hexdigest())"), env=env)
        assert check.split() == ["scan.bin", hashlib.sha256(BINARY).hexdigest(),
                                 "acta.txt", hashlib.sha256(TEXT).hexdigest()]


def test_restore_over_an_installation_with_data_needs_force(source, occupied):
    before_tables, before_files = tables(occupied), stored(occupied)
    error = vinculo_fails("restore", str(source.archive), env=occupied)
    assert "This installation is not empty (1 organisations, 0 users)" in error, error
    assert "--force" in error
    assert tables(occupied) == before_tables and stored(occupied) == before_files

    vinculo("restore", str(source.archive), "--force", env=occupied)
    assert tables(occupied) == tables(source.env)
    assert stored(occupied) == stored(source.env)  # the stale file is gone with its install


def test_a_damaged_archive_is_refused_and_nothing_changes(source, occupied, tmp_path):
    data = source.archive.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    not_tar = tmp_path / "notes.tar.gz"
    not_tar.write_bytes(gzip.compress(b"just some text, not a tar"))
    # One byte of the attached binary file differs; the gzip and tar are sound.
    name = next(f"files/{name}" for name, data in stored(source.env).items() if data == BINARY)
    tampered = rewrite(source.archive, tmp_path / "tampered.tar.gz",
                       lambda member, data: (bytes([data[0] ^ 1]) + data[1:]
                                             if member == name else data))
    before_tables, before_files = tables(occupied), stored(occupied)
    for archive, expected in [
        (truncated, f"The archive {truncated} is damaged or incomplete"),
        (not_tar, f"The archive {not_tar} is damaged or incomplete"),
        (tampered, f"{name} does not match its size and checksum in the manifest"),
    ]:
        # --force: only the damage stands between the archive and this installation.
        error = vinculo_fails("restore", str(archive), "--force", env=occupied)
        assert expected in error and "nothing was restored" in error, error
        assert tables(occupied) == before_tables
        assert stored(occupied) == before_files
    data_dir = Path(occupied["VINCULO_DATA_DIR"])
    assert not list(data_dir.glob(".vinculo-restore-*"))  # no staging left behind


def test_an_archive_of_the_other_database_system_is_refused(source, tmp_path, migrated):
    def other_vendor(member: str, data: bytes) -> bytes:
        if member != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["database"]["vendor"] = OTHER
        return json.dumps(manifest).encode()

    archive = rewrite(source.archive, tmp_path / "other.tar.gz", other_vendor)
    (tmp_path / "target").mkdir()
    with fresh_database(tmp_path / "target", migrated) as env:
        before = tables(env)
        error = vinculo_fails("restore", str(archive), env=env)
        assert (f"This archive holds a {NAMES[OTHER]} database and this installation uses "
                f"{NAMES[VENDOR]}") in error, error
        error = vinculo_fails("restore", str(archive), env={**env, "LANGUAGE_CODE": "es"})
        assert (f"Esta copia contiene una base de datos {NAMES[OTHER]} y esta instalación usa "
                f"{NAMES[VENDOR]}") in error, error
        assert tables(env) == before and not stored(env)


def test_a_backup_made_while_files_are_being_added_is_consistent(source, tmp_path):
    """Every file row of the archived database has its bytes in the archive, while another
    process keeps attaching files (a row per file, committed after its file is stored)."""
    (tmp_path / "clone").mkdir()
    with fresh_database(tmp_path / "clone", source.env) as env:
        shutil.copytree(Path(source.env["VINCULO_DATA_DIR"]) / "uploads",
                        Path(env["VINCULO_DATA_DIR"]) / "uploads")
        uploads = Path(env["VINCULO_DATA_DIR"]) / "uploads"
        stop = tmp_path / "stop"
        writer = subprocess.Popen([str(VINCULO), "shell", "-c", WRITER],
                                  env={**env, "STOP_FILE": str(stop)},
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while sum(1 for p in uploads.rglob("*") if p.is_file()) < 10:
                assert writer.poll() is None, writer.stdout.read()
                assert time.monotonic() < deadline
                time.sleep(0.2)
            before = sum(1 for p in uploads.rglob("*") if p.is_file())
            archive = tmp_path / "busy.tar.gz"
            vinculo("backup", str(archive), env=env)
            during = sum(1 for p in uploads.rglob("*") if p.is_file()) - before
        finally:
            stop.touch()
            output = writer.communicate(timeout=120)[0]
        assert writer.returncode == 0, output
        assert during > 0, "the writer added nothing while the backup ran"

    with tarfile.open(archive) as tar:
        assert json.load(tar.extractfile("manifest.json"))["missing"] == []
    (tmp_path / "target").mkdir()
    with fresh_database(tmp_path / "target") as env:
        vinculo("restore", str(archive), env=env)
        rows = vinculo("shell", "--verbosity", "0", "-c", CHECK_FILES, env=env).splitlines()
    assert len(rows) > 10 and all(row.endswith(" True") for row in rows), rows
