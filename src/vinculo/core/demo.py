"""Demo data: an organisation with a user for every role, filled by each app's generator.

``vinculo demo`` calls :func:`demo_run`. It creates the organisation and its users through the
services (so they are real, loggable users), then runs every registered generator in order.
An app contributes a generator by naming it in its contract (``Contract.demo``: the function,
its order and an estimate of the rows it writes).

Generators write *bulk* data: they build rows in batches (NumPy for the random choices, Python
only to assemble strings) and hand them to :class:`BulkWriter`, which uses ``COPY`` on
PostgreSQL and ``executemany`` on SQLite, with explicit primary keys so that relations
(memberships, tags) are built without reading anything back. This bypasses ``save()`` and its
signals on purpose: demo rows are created by "system" and **the audit log does not list them**;
it records every change made afterwards. The rows are the same as the services would write:
normalised e-mails, E.164 phones, valid tax ids and the same ``search_text`` (tested).

The content is deterministic for a seed: each generator gets its own NumPy generator seeded
from ``(seed, generator name)``, so adding a generator does not change the others' data.
Database ids, UUIDs, the password and the reference day of the timestamps are not part of the
seeded content (UUIDs are random so that two demo organisations never collide).
"""

from __future__ import annotations

import secrets
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import numpy as np
from babel import Locale, UnknownLocaleError
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from vinculo.core import plugins
from vinculo.core.models import Organization, Team, User
from vinculo.core.roles import Role
from vinculo.core.services import organization_create, team_get_or_create, user_create

DEFAULT_ORG_NAME = "Vínculo Demo"
DEFAULT_COUNTRY = "ES"
DEFAULT_DOMAIN = "demo.vinculo.test"
# From this many customers on, the database rebuilds indexes after the load instead of updating
# them row by row (it locks the customer tables for the duration of the load).
DEFER_INDEXES_FROM = 50_000

# (e-mail local part, role, first name, last name, team, language)
DEMO_USERS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("admin", Role.ADMIN, "Ana", "Administradora", "", "es"),
    ("manager", Role.SALES_MANAGER, "Marta", "Jefa de Ventas", "", "es"),
    ("rep.norte", Role.SALES_REP, "Nuria", "Comercial Norte", "Norte", "es"),
    ("rep.sur", Role.SALES_REP, "Sergio", "Comercial Sur", "Sur", "es"),
    ("marketing", Role.MARKETING, "Mark", "Marketing", "", "en"),
    ("service", Role.SERVICE_AGENT, "Sofía", "Atención al Cliente", "Atención al cliente",
     "es"),
    ("soporte1", Role.SERVICE_AGENT, "Pablo", "Soporte", "Atención al cliente", "es"),
    ("soporte2", Role.SERVICE_AGENT, "Lucy", "Support", "Atención al cliente", "en"),
    ("analyst", Role.ANALYST, "Alan", "Analyst", "", "en"),
    ("readonly", Role.READ_ONLY, "Rita", "Solo Lectura", "", "es"),
)


class DemoExistsError(Exception):
    """The demo organisation is already there and no reset was asked for."""


# ---- the generators the apps declare ----------------------------------------------------------


@dataclass(frozen=True)
class DemoGenerator:
    name: str
    order: int
    run: Callable[[DemoContext], dict[str, int]]
    estimate: Callable[[int], int]  # rows it will write for N customers (for the progress bar)


def generators() -> list[DemoGenerator]:
    """Every app's generator (``Contract.demo``), in ascending order."""
    found = []
    for config, contract in plugins.contracts():
        if contract.demo is not None:
            declared = contract.demo
            estimate = plugins.resolve(declared.estimate) if declared.estimate else _nothing
            found.append(DemoGenerator(config.label, declared.order,
                                       plugins.resolve(declared.run), estimate))
    return sorted(found, key=lambda g: (g.order, g.name))


def _nothing(customers: int) -> int:
    return 0


# ---- fast inserts -----------------------------------------------------------------------------


class BulkWriter:
    """Insert many rows with explicit ids: COPY on PostgreSQL, executemany on SQLite.

    Values are plain Python values: ``str``, ``int``, ``bool``, ``None``; UUIDs as 32 hex digits
    and timestamps as produced by :meth:`timestamps`; JSON columns as their JSON text.
    """

    def __init__(self, using: str = "default", *, defer_indexes: bool = False) -> None:
        self.connection = connections[using]
        self.using = using
        self.vendor = self.connection.vendor
        self.models: list[type[models.Model]] = []
        self._uuid_rng = np.random.default_rng()  # not seeded: UUIDs never repeat across runs
        # On PostgreSQL, a large load drops a table's secondary indexes and unique constraints
        # at its first insert and builds them again in finish(): one sorted build is several
        # times faster than a million random index insertions (what pg_restore does too). It
        # must all run in one transaction, so a failure puts the indexes back.
        self.defer_indexes = defer_indexes and self.vendor in ("postgresql", "sqlite")
        self._rebuild: list[str] = []
        self._unsettled: list[type[models.Model]] = []  # written to since the last settle()

    def prepare(self) -> None:
        """Session settings for a bulk load; they last as long as this connection."""
        self.connection.ensure_connection()
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                # Durability is not needed while loading demo data: a crash means "run again".
                # (It cannot change inside a transaction, e.g. in a test.)
                if not self.connection.in_atomic_block:
                    cursor.execute("PRAGMA synchronous=OFF")
                    cursor.execute("PRAGMA temp_store=MEMORY")
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB of page cache
            elif self.vendor == "postgresql":
                cursor.execute("SET synchronous_commit TO off")
                cursor.execute("SET maintenance_work_mem TO '256MB'")

    def next_id(self, model: type[models.Model]) -> int:
        """First free primary key. Assumes nothing else inserts into the table meanwhile."""
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
            return int(cursor.fetchone()[0]) + 1

    def uuids(self, n: int) -> list[str]:
        raw = self._uuid_rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
        text = raw.tobytes().hex()
        return [text[i : i + 32] for i in range(0, 32 * n, 32)]

    def timestamps(self, moments: np.ndarray) -> list[str]:
        """``datetime64[us]`` (UTC) values in the form the database stores."""
        text = np.datetime_as_string(moments.astype("datetime64[us]"), unit="us")
        if self.vendor == "postgresql":
            return [f"{s}+00:00" for s in text.tolist()]
        # Django's SQLite backend stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, naive).
        return [s.replace("T", " ") for s in text.tolist()]

    def insert(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Insert ``rows`` (tuples in ``columns`` order, attnames such as ``owner_id``)."""
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise ValueError(f"{meta.label}: unknown columns {unknown}")
        missing = [
            f.attname
            for f in meta.concrete_fields
            if not f.null and not f.primary_key and f.attname not in columns
        ]
        if missing:
            raise ValueError(f"{meta.label}: columns without a value {missing}")
        if model not in self.models:
            self.models.append(model)
            self._unsettled.append(model)
            if self.defer_indexes:
                self._drop_indexes(meta.db_table)
        names = ", ".join(self.connection.ops.quote_name(by_attname[c].column) for c in columns)
        table = self.connection.ops.quote_name(meta.db_table)
        count = 0
        with transaction.atomic(using=self.using), self.connection.cursor() as wrapper:
            cursor = wrapper.cursor  # the driver's cursor: no per-row Django overhead
            if self.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                rows = rows if isinstance(rows, list) else list(rows)
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
                count = len(rows)
        return count

    def _drop_indexes(self, table: str) -> None:
        if not self.connection.in_atomic_block:
            raise RuntimeError("Deferring indexes needs one transaction around the whole load.")
        if self.vendor == "sqlite":
            # A million random insertions into eight B-trees outgrow SQLite's page cache; one
            # sorted build per index at the end does not. (Indexes SQLite made itself for a
            # UNIQUE column have no SQL and stay.)
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                               "AND tbl_name = %s AND sql IS NOT NULL", [table])
                for name, index_sql in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {self.connection.ops.quote_name(name)}")
                    self._rebuild.append(index_sql)
            return
        with self.connection.cursor() as cursor:
            # ALTER TABLE refuses to run while deferred foreign-key checks are queued: check
            # them now, and each COPY's rows at the end of the COPY from here on.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname,"
                " pg_get_constraintdef(c.oid) FROM pg_index i LEFT JOIN pg_constraint c"
                " ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid"
                " AND c.contype IN ('u', 'x')"
                " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
                [table],
            )
            quoted = self.connection.ops.quote_name(table)
            for index, index_sql, constraint, constraint_sql in cursor.fetchall():
                if constraint:
                    name = self.connection.ops.quote_name(constraint)
                    cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {name}")
                    self._rebuild.append(
                        f"ALTER TABLE {quoted} ADD CONSTRAINT {name} {constraint_sql}"
                    )
                else:
                    cursor.execute(f"DROP INDEX {index}")
                    self._rebuild.append(index_sql)

    def sync_sequences(self) -> None:
        """Move the id sequences of PostgreSQL past the explicit ids written so far, so that a
        later generator creating rows through the services gets fresh ids (SQLite's
        AUTOINCREMENT follows the largest id by itself)."""
        if self.vendor == "postgresql" and self.models:
            with self.connection.cursor() as cursor:
                for sql in self.connection.ops.sequence_reset_sql(no_style(), self.models):
                    cursor.execute(sql)

    def settle(self) -> None:
        """Build again the indexes dropped since the last call and refresh the statistics of
        the tables written since: the next generator queries them through the services (a
        campaign's audience, a segment's members). Without them, at a million contacts, one
        correlated subquery read a whole table per contact and the campaign's start never
        ended."""
        unsettled, self._unsettled = self._unsettled, []
        with self.connection.cursor() as cursor:
            if self._rebuild:
                for sql in self._rebuild:
                    cursor.execute(sql)
                self._rebuild = []
                if self.vendor == "postgresql":
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            if self.vendor == "postgresql":
                for model in unsettled:
                    cursor.execute(f"ANALYZE {model._meta.db_table}")

    def finish(self) -> None:
        """Rebuild deferred indexes, move id sequences past the explicit ids, refresh the
        planner's statistics."""
        self.settle()
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                self.sync_sequences()
                for model in self.models:
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
            elif self.vendor == "sqlite":
                # AUTOINCREMENT tables already moved their sequence; refresh the statistics.
                cursor.execute("PRAGMA optimize")


# ---- the context a generator receives ---------------------------------------------------------


@dataclass
class DemoContext:
    organization: Organization
    users: dict[str, User]  # by e-mail local part: "admin", "manager", "rep.norte"…
    customers: int
    seed: int
    writer: BulkWriter
    progress: Any  # a tqdm bar: call .update(rows)
    now: datetime  # reference moment: today 00:00 UTC, so a seed gives the same data all day
    shared: dict[str, Any] = field(default_factory=dict)  # what one generator leaves the next

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    @property
    def owners(self) -> list[User]:
        """Record owners: the two sales reps and the sales manager."""
        return [self.users["rep.norte"], self.users["rep.sur"], self.users["manager"]]


@dataclass
class DemoResult:
    organization: Organization
    users: dict[str, User]
    password: str
    counts: dict[str, int]
    seconds: float

    @property
    def admin(self) -> User:
        return self.users["admin"]


# ---- organisation, users, reset ----------------------------------------------------------------


def demo_domain(name: str) -> str:
    """Users' e-mail domain: demo.vinculo.test for the default organisation."""
    if name == DEFAULT_ORG_NAME:
        return DEFAULT_DOMAIN
    from django.utils.text import slugify

    return f"{slugify(name) or 'org'}.{DEFAULT_DOMAIN}"


DEMO_SPANISH_COMPANY = {"time_zone": "Europe/Madrid", "tax_id": "B12345674",
                        "street": "Calle Mayor 1", "postal_code": "28013", "city": "Madrid",
                        "region": "Madrid"}


def demo_language(country: str, language: str = "") -> str:
    """The demo organisation's language: the one asked for, else the country's own when
    Vínculo speaks it (ES, MX, AR… → Spanish), else English. The demo names its segments,
    campaigns, templates, tasks and forms in it, as a company of that country would."""
    from django.conf import settings

    spoken = {code for code, _name in settings.LANGUAGES}
    if language:
        if language not in spoken:
            raise ValidationError({"language": _(
                "Unknown language %(language)s; choose one of %(languages)s.") % {
                "language": language, "languages": ", ".join(sorted(spoken))}})
        return language
    try:
        likely = Locale.parse(f"und_{country.upper()}").language
    except (ValueError, UnknownLocaleError):
        likely = ""
    return likely if likely in spoken else "en"


def demo_organization_create(
    *, name: str, country: str, password: str, language: str = ""
) -> tuple[Organization, dict[str, User]]:
    org = organization_create(name=name, country=country)
    Organization.objects.filter(pk=org.pk).update(language=demo_language(country, language))
    org.refresh_from_db()
    # a Spanish demo company keeps Spanish hours and prints its fiscal data on its documents
    if country == "ES":
        Organization.objects.filter(pk=org.pk).update(**DEMO_SPANISH_COMPANY,
                                                      legal_name=f"{name} S.L.")
        org.refresh_from_db()
    domain = demo_domain(name)
    teams: dict[str, Team] = {}
    users: dict[str, User] = {}
    for local, role, first, last, team_name, language in DEMO_USERS:
        team = None
        if team_name:
            team = teams.get(team_name) or team_get_or_create(organization=org, name=team_name)
            teams[team_name] = team
        users[local] = user_create(
            organization=org,
            email=f"{local}@{domain}",
            password=password,
            role=role,
            first_name=first,
            last_name=last,
            team=team,
            language=language,
        )
    return org, users


def _org_models() -> list[type[models.Model]]:
    """Every concrete model with an ``organization`` foreign key (the tenant's own rows)."""
    found = []
    for model in apps.get_models():
        try:
            fk = model._meta.get_field("organization")
        except FieldDoesNotExist:
            continue
        if fk.is_relation and fk.related_model is Organization:
            found.append(model)
    return found


@transaction.atomic
def demo_reset(organization: Organization) -> None:
    """Delete an organisation and all its rows with one DELETE per table.

    Going through ``Model.delete()`` would load a million rows into Python and write an audit
    row for each. Every foreign key is deferred to the commit, so order does not matter; rows of
    other tables (auto-created M2M tables, tokens…) that point at the deleted rows go too, or are
    set to NULL where the relation says so.
    """
    owned = {
        model: model._base_manager.filter(organization=organization) for model in _org_models()
    }
    for model in apps.get_models(include_auto_created=True):
        for fk in model._meta.concrete_fields:
            target = fk.related_model if fk.is_relation else None
            if target is None or model in owned:
                continue
            parents = owned.get(target) if target is not Organization else None
            if parents is None:
                continue
            related = model._base_manager.filter(**{f"{fk.name}__in": parents.values("pk")})
            if fk.remote_field.on_delete is models.SET_NULL:
                related.update(**{fk.name: None})
            else:
                related._raw_delete(related.db)
    for queryset in owned.values():
        queryset._raw_delete(queryset.db)
    Organization.objects.filter(pk=organization.pk)._raw_delete(Organization.objects.db)


# ---- the whole run ----------------------------------------------------------------------------


def demo_run(
    *,
    name: str = DEFAULT_ORG_NAME,
    country: str = DEFAULT_COUNTRY,
    language: str = "",
    customers: int = 2000,
    seed: int = 1,
    reset: bool = False,
    password: str | None = None,
    progress: bool = True,
    progress_file: TextIO | None = None,
    using: str = "default",
) -> DemoResult:
    """Create the demo organisation, its users, and every generator's data (``language``:
    the organisation's, see :func:`demo_language`)."""
    demo_language(country, language)  # a bad language fails before anything is written
    started = time.perf_counter()
    existing = Organization.objects.filter(name__iexact=name).first()
    if existing is not None and not reset:
        raise DemoExistsError(
            f"demo organisation {existing.name!r} already exists; use --org OTHER or --reset"
        )
    password = password or secrets.token_urlsafe(12)
    chosen = generators()
    total = sum(g.estimate(customers) for g in chosen)
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    counts: dict[str, int] = {}
    writer = BulkWriter(using, defer_indexes=customers >= DEFER_INDEXES_FROM)
    writer.prepare()
    # One transaction: a failed run leaves nothing behind (and deferred indexes come back).
    with (
        transaction.atomic(using=using),
        tqdm(
            total=total,
            unit=" rows",
            unit_scale=True,
            file=progress_file or sys.stderr,
            disable=not progress,
            desc="demo",
            smoothing=0.1,
        ) as bar,
    ):
        if existing is not None:
            demo_reset(existing)
        org, users = demo_organization_create(name=name, country=country, password=password,
                                               language=language)
        ctx = DemoContext(
            organization=org,
            users=users,
            customers=customers,
            seed=seed,
            writer=writer,
            progress=bar,
            now=now,
        )
        for generator in chosen:
            bar.set_description(generator.name)
            counts.update(generator.run(ctx))
            writer.sync_sequences()  # the next generator may write through the services
            writer.settle()  # … and query through them
        bar.set_description("indexes and statistics")
        writer.finish()
    return DemoResult(org, users, password, counts, time.perf_counter() - started)


def random_moments(
    rng: np.random.Generator, now: datetime, n: int, *, days: float, after: np.ndarray | None = None
) -> np.ndarray:
    """``n`` UTC moments in the last ``days`` days (or between ``after`` and ``now``)."""
    end = np.datetime64(now.replace(tzinfo=None), "us")
    if after is None:
        span = int(timedelta(days=days) / timedelta(microseconds=1))
        return end - rng.integers(0, span, size=n).astype("timedelta64[us]")
    gap = (end - after).astype(np.int64)
    return after + (rng.random(n) * gap).astype(np.int64).astype("timedelta64[us]")
