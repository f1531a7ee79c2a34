"""Backup and restore of a whole installation: the database and the stored files, in one archive.

An archive is a gzipped tar holding ``database/…`` (a ``pg_dump`` custom-format dump, or a
copy of the SQLite file made by SQLite's online backup API), ``files/<name>`` for every file of
the default storage, and ``manifest.json`` last: the format, the Vínculo version, the database
vendor, the migrations applied, when it was made, and the size and SHA-256 of every member.

Consistency while the app runs: the database is copied from one snapshot (one read transaction
for the SQLite backup; ``pg_dump --snapshot`` of a repeatable-read transaction that also reads
the file columns), and the files are copied afterwards. A file is stored before the row naming
it commits and removed only after the row's deletion commits, so every file the snapshot names
is still there unless it was deleted in between; those are listed as ``missing`` (a backup run
again has neither the row nor the file). Files are read through ``default_storage`` only, so
any storage backend serves.

Restore checks everything before touching anything: it unpacks into a staging directory,
verifies every member against the manifest, the vendor and the migrations, and only then writes
the new files, replaces the database in one step (SQLite's backup API; one ``psql``
transaction on PostgreSQL) and removes the files the archive does not hold.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

FORMAT = "vinculo-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
DATABASE_MEMBER = {"sqlite": "database/vinculo.sqlite3", "postgresql": "database/vinculo.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1 << 20
# A stored file up to this size is copied through memory; a larger one through a temporary file.
SPOOL_BYTES = 8 << 20


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message tells the operator why and
    what to do, and nothing was changed unless it says so."""


@dataclass
class Backup:
    path: Path
    manifest: dict[str, Any]
    missing: list[str] = field(default_factory=list)


def vendor_name(vendor: str) -> str:
    return VENDOR_NAMES.get(vendor, vendor)


def vinculo_version() -> str:
    try:
        return metadata.version("vinculo")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "unknown"


# ---- helpers ----------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashing(source: IO[bytes], target: IO[bytes]) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def stored_files(top: str = "") -> Iterator[str]:
    """Every file name in the default storage, walked with ``listdir`` (any backend)."""
    try:
        dirs, files = default_storage.listdir(top)
    except FileNotFoundError:  # a storage nothing was ever written to
        return
    for name in sorted(files):
        yield f"{top}/{name}" if top else name
    for name in sorted(dirs):
        yield from stored_files(f"{top}/{name}" if top else name)


def _file_columns() -> list[tuple[str, str]]:
    """(table, column) of every ``FileField`` of every model."""
    return [(model._meta.db_table, f.column) for model in apps.get_models()
            for f in model._meta.concrete_fields
            if isinstance(f, models.FileField) and f.column]


def _referenced(cursor: Any, tables: set[str], quote: Any) -> set[str]:
    """The file names the rows of the database behind ``cursor`` point at."""
    names: set[str] = set()
    for table, column in _file_columns():
        if table in tables:
            col = quote(column)
            cursor.execute(f"SELECT {col} FROM {quote(table)} WHERE {col} <> ''")
            names.update(row[0] for row in cursor.fetchall() if row[0])
    return names


def _run(argv: list[str], *, env: dict[str, str] | None = None,
         stdout: IO[Any] | int | None = subprocess.PIPE) -> str:
    done = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise BackupError(_("%(command)s failed: %(error)s") % {
            "command": Path(argv[0]).name, "error": done.stderr.decode(errors="replace").strip()})
    return done.stdout.decode() if isinstance(done.stdout, bytes) else ""


# ---- PostgreSQL tools -------------------------------------------------------------------------

PG_ENV = {"NAME": "PGDATABASE", "USER": "PGUSER", "PASSWORD": "PGPASSWORD", "HOST": "PGHOST",
          "PORT": "PGPORT"}
PG_OPTION_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
                 "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
                 "passfile": "PGPASSFILE", "service": "PGSERVICE", "options": "PGOPTIONS"}


def _pg_env() -> dict[str, str]:
    """The environment the PostgreSQL tools connect with: the same database as Django, the
    password out of the command line."""
    db = connections["default"].settings_dict
    env = dict(os.environ)
    env.update({var: str(db[key]) for key, var in PG_ENV.items() if db.get(key)})
    env.update({var: str(value) for key, var in PG_OPTION_ENV.items()
                if (value := (db.get("OPTIONS") or {}).get(key))})
    return env


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True,
                             check=False, timeout=30).stdout
    except OSError:
        return None
    match = re.search(r"\)\s*(\d+)", out)
    return int(match.group(1)) if match else None


def pg_tools(*names: str) -> dict[str, str]:
    """Paths of the PostgreSQL client ``names`` of the server's major version (or newer: a
    client older than the server refuses to dump it). Looked for in ``VINCULO_PG_BIN``, then
    ``/usr/lib/postgresql/<major>/bin`` (Debian keeps one folder per version), then ``PATH``."""
    connection.ensure_connection()
    server = connection.pg_version // 10000  # type: ignore[attr-defined]
    folders = [settings.VINCULO_PG_BIN, f"/usr/lib/postgresql/{server}/bin",
               *(str(Path(found).parent) for name in names if (found := shutil.which(name)))]
    paths: dict[str, str] = {}
    for name in names:
        for folder in filter(None, folders):
            path = str(Path(folder) / name)
            major = _tool_major(path) if os.access(path, os.X_OK) else None
            if major is not None and major >= server:
                paths[name] = path
                break
        else:
            raise BackupError(_(
                "%(tool)s for PostgreSQL %(version)s was not found (looked in %(folders)s): "
                "install PostgreSQL's client programs of the server's version, or set "
                "VINCULO_PG_BIN to their folder.") % {
                    "tool": name, "version": server,
                    "folders": ", ".join(dict.fromkeys(filter(None, folders)))})
    return paths


# ---- backup -----------------------------------------------------------------------------------


def _dump_sqlite(staging: Path) -> tuple[Path, list[str], set[str]]:
    """A consistent copy of the live SQLite database through its online backup API, in one
    step (one read transaction: writers go on, the copy is one instant)."""
    target = staging / "vinculo.sqlite3"
    live = Path(settings.DATABASES["default"]["NAME"])
    try:
        source = sqlite3.connect(f"{live.as_uri()}?mode=ro", uri=True, timeout=20)
    except sqlite3.Error as exc:
        raise BackupError(_("The database %(path)s cannot be read: %(error)s") % {
            "path": live, "error": exc}) from exc
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        tables = {row[0] for row in dest.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        migrations = _migrations(dest.cursor(), tables)
        referenced = _referenced(dest.cursor(), tables, lambda n: '"' + n + '"')
    except sqlite3.Error as exc:
        raise BackupError(_("The database %(path)s cannot be read: %(error)s") % {
            "path": live, "error": exc}) from exc
    finally:
        dest.close()
        source.close()
    return target, migrations, referenced


def _dump_postgresql(staging: Path) -> tuple[Path, list[str], set[str]]:
    """``pg_dump`` in custom format from the snapshot of a repeatable-read transaction, which
    also reads the migrations and the file columns: all three are the same instant."""
    pg_dump = pg_tools("pg_dump")["pg_dump"]
    target = staging / "vinculo.pgdump"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--file", str(target)],
             env=_pg_env())
        tables = set(connection.introspection.table_names(cursor))
        migrations = _migrations(cursor, tables)
        referenced = _referenced(cursor, tables, connection.ops.quote_name)
    return target, migrations, referenced


def _migrations(cursor: Any, tables: set[str]) -> list[str]:
    if "django_migrations" not in tables:
        raise BackupError(_("The database has no tables yet: there is nothing to back up."))
    cursor.execute("SELECT app, name FROM django_migrations")
    return sorted(f"{app}.{name}" for app, name in cursor.fetchall())


def _add_stored_file(tar: tarfile.TarFile, name: str, staging: Path,
                     created: float) -> dict[str, Any] | None:
    """Copy one stored file into the archive, hashing the very bytes written (a file that
    changes while it is read is archived as read); None for one deleted since it was listed
    (if a row of the snapshot names it, it is ``missing``)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=str(staging)) as spool:
        try:
            with default_storage.open(name, "rb") as source:
                size, sha = _copy_hashing(source, spool)
        except FileNotFoundError:
            return None
        spool.seek(0)
        info = tarfile.TarInfo(FILES + name)
        info.size, info.mtime, info.mode = size, int(created), 0o600
        tar.addfile(info, spool)
    return {"name": name, "size": size, "sha256": sha}


def backup_create(*, path: Path) -> Backup:
    """Write a backup of this installation to ``path`` (which must not exist). The archive
    appears only once complete: it is written under ``.partial`` and renamed."""
    if path.exists():
        raise BackupError(_("%(path)s already exists: choose another name or move it away.")
                          % {"path": path})
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBER:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(vendor)s.")
                          % {"vendor": connection.display_name})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    created = datetime.now(UTC)
    try:
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".vinculo-backup-") as tmp:
            staging = Path(tmp)
            dump = _dump_sqlite if vendor == "sqlite" else _dump_postgresql
            db_file, migrations, referenced = dump(staging)
            member = DATABASE_MEMBER[vendor]
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                tar.add(db_file, arcname=member)
                files = [entry for name in stored_files() if (
                    entry := _add_stored_file(tar, name, staging, created.timestamp()))]
                names = {entry["name"] for entry in files}
                manifest: dict[str, Any] = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "vinculo_version": vinculo_version(),
                    "created_at": created.isoformat(),
                    "database": {"vendor": vendor, "member": member,
                                 "size": db_file.stat().st_size,
                                 "sha256": _sha256_file(db_file)},
                    "migrations": migrations,
                    "files": files,
                    "missing": sorted(referenced - names),
                }
                missing = manifest["missing"]
                data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(created.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path=path, manifest=manifest, missing=missing)


# ---- restore: checks --------------------------------------------------------------------------


def installation_counts() -> tuple[int, int]:
    """(organisations, users) of this installation; (0, 0) for a database without tables."""
    from vinculo.core.models import Organization

    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        counts = []
        for model in (Organization, get_user_model()):
            table = model._meta.db_table
            if table not in tables:
                counts.append(0)
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts.append(cursor.fetchone()[0])
    return counts[0], counts[1]


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return (bool(name) and not path.is_absolute() and "\\" not in name
            and all(part not in ("", ".", "..") for part in name.split("/")))


def _damaged(path: Path, detail: str) -> BackupError:
    return BackupError(_("The archive %(path)s is damaged or incomplete (%(detail)s): nothing "
                         "was restored.") % {"path": path, "detail": detail})


def _unpack(path: Path, staging: Path) -> dict[str, tuple[int, str]]:
    """Unpack every member under ``staging``, hashing as it goes: {name: (size, sha256)}."""
    found: dict[str, tuple[int, str]] = {}
    try:
        with tarfile.open(path, "r|*") as tar:
            for info in tar:
                if not info.isfile() or not _safe_member(info.name) or info.name in found:
                    raise _damaged(path, _("unexpected member %(name)s") % {"name": info.name})
                target = staging / "members" / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(info)
                assert source is not None  # a regular file
                with target.open("wb") as out:
                    found[info.name] = _copy_hashing(source, out)
    except OSError as exc:
        if exc.errno is not None:  # the staging folder, not the archive (a full disk)
            raise BackupError(_("The archive could not be unpacked into %(folder)s: "
                                "%(error)s") % {"folder": staging, "error": exc}) from exc
        raise _damaged(path, str(exc) or type(exc).__name__) from exc
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise _damaged(path, str(exc) or type(exc).__name__) from exc
    return found


def _manifest(path: Path, staging: Path, found: dict[str, tuple[int, str]]) -> dict[str, Any]:
    """The archive's manifest, once every member it lists matches its size and checksum."""
    if MANIFEST not in found:
        raise _damaged(path, _("no %(name)s") % {"name": MANIFEST})
    try:
        manifest = json.loads((staging / "members" / MANIFEST).read_text("utf-8"))
        if manifest.get("format") != FORMAT:
            raise BackupError(_("%(path)s is not a Vínculo backup.") % {"path": path})
        if int(manifest["format_version"]) > FORMAT_VERSION:
            raise BackupError(_(
                "%(path)s was made by a newer Vínculo (%(version)s, archive format "
                "%(format)s): upgrade Vínculo before restoring it.") % {
                    "path": path, "version": manifest.get("vinculo_version"),
                    "format": manifest["format_version"]})
        database = manifest["database"]
        expected = {database["member"]: (database["size"], database["sha256"])}
        expected.update({FILES + entry["name"]: (entry["size"], entry["sha256"])
                         for entry in manifest["files"]})
        if not isinstance(database["vendor"], str) or not isinstance(
                manifest["migrations"], list):
            raise TypeError(MANIFEST)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _damaged(path, _("unreadable %(name)s") % {"name": MANIFEST}) from exc
    for name, (size, sha) in expected.items():
        if name not in found:
            raise _damaged(path, _("%(name)s is missing") % {"name": name})
        if found[name] != (size, sha):
            raise _damaged(path, _("%(name)s does not match its size and checksum in the "
                                   "manifest") % {"name": name})
    extra = set(found) - set(expected) - {MANIFEST}
    if extra:
        raise _damaged(path, _("unexpected member %(name)s") % {"name": min(extra)})
    return manifest


def _check_compatible(manifest: dict[str, Any]) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(_(
            "This archive holds a %(archive)s database and this installation uses "
            "%(here)s: a backup restores only into the same database system. Restore it into "
            "an installation on %(archive)s.") % {
                "archive": vendor_name(vendor), "here": vendor_name(connection.vendor)})
    known = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
    unknown = sorted(set(manifest["migrations"]) - known)
    if unknown:
        raise BackupError(_(
            "The archive was made by Vínculo %(version)s, whose database has migrations this "
            "version does not know (%(names)s): upgrade Vínculo before restoring it.") % {
                "version": manifest.get("vinculo_version"), "names": ", ".join(unknown[:5])})


# ---- restore: writing -------------------------------------------------------------------------


def _restore_sqlite(dump: Path) -> None:
    """Replace the live database by the archived one in one step of SQLite's backup API."""
    connections.close_all()
    live = Path(settings.DATABASES["default"]["NAME"])
    source = sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)
    dest = sqlite3.connect(live, timeout=20)
    try:
        source.backup(dest)
    except sqlite3.Error as exc:
        raise BackupError(_("The database could not be restored: %(error)s") % {"error": exc}
                          ) from exc
    finally:
        dest.close()
        source.close()


# Drops what the schema holds — tables, views, sequences (those a column owns go with their
# table), functions (the triggers' included) and types — except an extension's objects: the
# restore then recreates the archived ones. Run in the same transaction as the restore.
PG_CLEAR = """SET client_min_messages = warning;
DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT format('DROP %s IF EXISTS %s CASCADE',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                                 ELSE 'TABLE' END,
                  format('%I.%I', n.nspname, c.relname)) AS statement, 1 AS pass
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('e', 'i', 'a'))
    UNION ALL
    SELECT format('DROP %s IF EXISTS %s CASCADE',
                  CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE'
                                 ELSE 'FUNCTION' END, p.oid::regprocedure::text), 2
      FROM pg_proc p
     WHERE p.pronamespace = current_schema()::regnamespace
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP %s IF EXISTS %s CASCADE',
                  CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text), 3
      FROM pg_type t
     WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype IN ('e', 'd', 'r')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                          AND d.objid = t.oid AND d.deptype = 'e')
    ORDER BY pass
  LOOP
    EXECUTE r.statement;
  END LOOP;
END $$;
RESET client_min_messages;
"""


def _restore_postgresql(dump: Path, staging: Path, tools: dict[str, str]) -> None:
    """Clear the schema and load the dump in one ``psql`` transaction: on any error the
    database is left as it was."""
    env = _pg_env()
    listing = _run([tools["pg_restore"], "--list", str(dump)], env=env)
    # The comment on an extension needs its owner; it is the extension's own text anyway.
    kept = [line for line in listing.splitlines() if " COMMENT - EXTENSION " not in line]
    (staging / "restore.list").write_text("\n".join(kept) + "\n")
    script = staging / "restore.sql"
    with script.open("wb") as out:
        out.write(PG_CLEAR.encode())
        out.flush()
        _run([tools["pg_restore"], "--no-owner", "--no-privileges", "--use-list",
              str(staging / "restore.list"), "--file", "-", str(dump)], env=env, stdout=out)
    connections.close_all()
    _run([tools["psql"], "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
          "--single-transaction", "--file", str(script)], env=env, stdout=subprocess.DEVNULL)


def _storage_sha(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_files(manifest: dict[str, Any], staging: Path, existing: set[str]) -> list[str]:
    """Store the archived files that are not already there with the same bytes; the names
    written (for undoing them)."""
    written: list[str] = []
    try:
        for entry in manifest["files"]:
            name = entry["name"]
            if name in existing:
                if _storage_sha(name) == entry["sha256"]:
                    continue
                default_storage.delete(name)
            with (staging / "members" / (FILES + name)).open("rb") as fh:
                saved = default_storage.save(name, File(fh))
            written.append(saved)
            if saved != name:
                raise BackupError(_("The storage kept %(name)s as %(saved)s.") % {
                    "name": name, "saved": saved})
    except BaseException:
        _delete(written)
        raise
    return written


def _delete(names: list[str] | set[str]) -> None:
    for name in names:
        default_storage.delete(name)


def restore_run(*, path: Path, force: bool = False) -> dict[str, Any]:
    """Restore the archive at ``path`` into this installation; its manifest.

    Refused over an installation with any organisation or user unless ``force``; refused for
    an archive that is damaged, of the other database system, or of a newer Vínculo — all
    checked before anything is written."""
    if not path.is_file():
        raise BackupError(_("There is no archive at %(path)s.") % {"path": path})
    organizations, users = installation_counts()
    if (organizations or users) and not force:
        raise BackupError(_(
            "This installation is not empty (%(organizations)d organisations, %(users)d "
            "users): restoring would replace all of it. Restore into an empty installation, "
            "or add --force to replace this one.") % {
                "organizations": organizations, "users": users})
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR, prefix=".vinculo-restore-") as tmp:
        staging = Path(tmp)
        manifest = _manifest(path, staging, _unpack(path, staging))
        _check_compatible(manifest)
        dump = staging / "members" / manifest["database"]["member"]
        tools = pg_tools("pg_restore", "psql") if connection.vendor == "postgresql" else {}
        existing = set(stored_files())
        written = _write_files(manifest, staging, existing)
        try:
            if connection.vendor == "sqlite":
                _restore_sqlite(dump)
            else:
                _restore_postgresql(dump, staging, tools)
        except BaseException:
            _delete(written)
            raise
        _delete(existing - {entry["name"] for entry in manifest["files"]})
    return manifest
