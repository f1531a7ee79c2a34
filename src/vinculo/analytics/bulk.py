"""Write a day's customer snapshots in bulk: a staging table, then one upsert.

A million snapshots through ``bulk_create`` cost a model instance, a Decimal per amount and
a parameter per value: minutes. Here every column is a NumPy array of numbers (day numbers,
whole cents, codes for the labels, NaN for "none"), loaded into an unindexed temporary table
— binary COPY on PostgreSQL, whose rows NumPy lays out directly, ``executemany`` on SQLite —
in chunks that report progress. One ``INSERT … SELECT … ON CONFLICT DO UPDATE`` then turns
the numbers into dates, amounts, labels and the JSON breakdown inside the database and upserts
them, and, when the date had snapshots before (a rerun), one ``DELETE`` removes the accounts
no longer in it.
Upsert and delete run in one transaction, so readers see the old or the new day, never half.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction

from vinculo.analytics.models import CustomerSnapshot

STAGING = "analytics_snapshot_load"
CHUNK = 100_000
#: Cents standing for "no amount" in the staging table (NULL in the snapshot); a literal that
#: both databases read as a 64-bit integer.
NO_CENTS = -(2**62)


@dataclass(frozen=True)
class SnapshotColumns:
    """One day's snapshots as arrays aligned with ``account`` (ascending, distinct ids).

    ``days`` are day numbers (days since 1970-01-01) for the date columns; ``counts`` small
    integers; ``labels`` the text columns; ``money`` amounts in the currency (rounded to cents
    here) and ``floats`` other numbers, NaN or ±inf meaning none; ``breakdown`` the cost to
    serve per driver (columns named by ``drivers``), stored as JSON of the non-zero ones.
    """

    account: np.ndarray
    days: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    money: dict[str, np.ndarray]
    floats: dict[str, np.ndarray]
    drivers: Sequence[str]
    breakdown: np.ndarray


def upsert_snapshots(
    *,
    organization_id: int,
    as_of: dt.date,
    columns: SnapshotColumns,
    progress: Callable[[float], None] | None = None,
) -> int:
    """Upsert one snapshot per account for ``as_of`` and delete the date's other accounts.

    ``progress(fraction)`` is called after each loaded chunk. Returns the number of rows.
    """
    tick = progress or (lambda fraction: None)
    n = int(columns.account.size)
    staged = _staging_arrays(columns)
    codes, label_sql = _label_codes(columns.labels)
    staged.update(codes)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGING} ("
                       + ", ".join(f"{name} {_SQL_TYPES[a.dtype.str[1:]]}"
                                   for name, a in staged.items()) + ")")
        for lo in range(0, n, CHUNK):
            part = {name: a[lo:lo + CHUNK] for name, a in staged.items()}
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {STAGING} ({', '.join(part)}) FROM STDIN "
                                        "(FORMAT BINARY)") as copy:
                    copy.write(binary_copy(list(part.values())))
            else:
                marks = ", ".join(["%s"] * len(part))
                cursor.executemany(
                    f"INSERT INTO {STAGING} ({', '.join(part)}) VALUES ({marks})",
                    list(zip(*(a.tolist() for a in part.values()), strict=True)))
            tick(min(lo + CHUNK, n) / max(n, 1))
        select, params = _select(columns, label_sql)
        targets = [connection.ops.quote_name(c) for c in select]
        table = connection.ops.quote_name(CustomerSnapshot._meta.db_table)
        key = {"organization_id", "account_id", "as_of"}
        updates = ", ".join(f"{t} = excluded.{t}" for c, t in zip(select, targets, strict=True)
                            if c not in key)
        date = as_of.isoformat() if connection.vendor == "sqlite" else as_of
        with transaction.atomic():
            cursor.execute(f"SELECT 1 FROM {table} WHERE organization_id = %s AND as_of = %s "
                           "LIMIT 1", [organization_id, date])
            rerun = cursor.fetchone() is not None
            # "WHERE true": SQLite's parser needs it before ON CONFLICT after a SELECT.
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(targets)}) "
                f"SELECT {', '.join(select.values())} FROM {STAGING} WHERE true "
                f"ON CONFLICT (organization_id, account_id, as_of) DO UPDATE SET {updates}",
                [organization_id, date, *params])
            if rerun:
                cursor.execute(f"CREATE INDEX {STAGING}_account ON {STAGING} (account_id)")
                cursor.execute(
                    f"DELETE FROM {table} WHERE organization_id = %s AND as_of = %s AND NOT "
                    f"EXISTS (SELECT 1 FROM {STAGING} s WHERE s.account_id = {table}.account_id)",
                    [organization_id, date])
        cursor.execute(f"DROP TABLE {STAGING}")
    return n


def binary_copy(columns: Sequence[np.ndarray]) -> bytes:
    """PostgreSQL's binary COPY format for fixed-width columns without nulls (a NaN is a
    value): each row is a field count, then a length and the big-endian value per field."""
    fields = [("count", ">i2")]
    for k, col in enumerate(columns):
        kind = col.dtype if col.dtype.kind == "V" else col.dtype.newbyteorder(">")
        fields += [(f"len{k}", ">i4"), (f"v{k}", kind)]
    rows = np.empty(columns[0].size if columns else 0, dtype=np.dtype(fields))
    rows["count"] = len(columns)
    for k, col in enumerate(columns):
        rows[f"len{k}"] = col.dtype.itemsize
        rows[f"v{k}"] = col
    # Signature, flags and header-extension length; the trailer is a field count of -1.
    return b"PGCOPY\n\xff\r\n\x00" + bytes(8) + rows.tobytes() + b"\xff\xff"


_SQL_TYPES = {"i8": "BIGINT", "i4": "INTEGER", "i2": "SMALLINT", "f8": "DOUBLE PRECISION"}


def _staging_arrays(columns: SnapshotColumns) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"account_id": np.asarray(columns.account, dtype=np.int64)}
    for name, a in columns.days.items():
        out[name] = np.asarray(a, dtype=np.int32)
    for name, a in columns.counts.items():
        out[name] = np.asarray(a, dtype=np.int32)
    for name, a in columns.money.items():
        # Whole cents: int8 -> numeric is exact and several times cheaper than float8 ->
        # numeric, which goes through text.
        a = np.asarray(a, dtype=float)
        cents = np.round(np.where(np.isfinite(a), a, 0.0) * 100.0)
        out[name] = np.where(np.isfinite(a), cents, NO_CENTS).astype(np.int64)
    for name, a in columns.floats.items():
        out[name] = _none_as_nan(np.asarray(a, dtype=float))
    cost = np.asarray(columns.breakdown, dtype=float)
    for j in range(len(columns.drivers)):
        # A driver with no cost is left out of the JSON: NaN here, NULL there.
        out[f"cost_{j}"] = np.where(cost[:, j] != 0, np.round(cost[:, j], 2), np.nan)
    return out


def _none_as_nan(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, np.nan)


def _label_codes(labels: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict]:
    """Each text column as small integer codes, and the distinct texts to turn them back."""
    codes, texts = {}, {}
    for name, values in labels.items():
        distinct, code = np.unique(np.asarray(values, dtype=str), return_inverse=True)
        codes[f"{name}_code"] = code.astype(np.int16).ravel()
        texts[name] = distinct.tolist()
    return codes, texts


def _select(columns: SnapshotColumns, texts: dict[str, list[str]]) -> tuple[dict[str, str], list]:
    """Snapshot column -> SQL expression over the staging table, and its parameters in order
    (after the organisation and the date). Money arrives as whole cents, the other numbers as
    doubles where NaN means none, texts as codes."""
    pg = connection.vendor == "postgresql"

    def date(col: str) -> str:
        return f"DATE '1970-01-01' + {col}" if pg else f"date(2440587.5 + {col})"

    def nullable(col: str) -> str:
        return f"NULLIF({col}, 'NaN')" if pg else col  # SQLite stores a bound NaN as NULL

    def money(col: str) -> str:
        cents = f"NULLIF({col}, {NO_CENTS})"
        return f"{cents} * 0.01" if pg else f"{cents} / 100.0"

    select = {"organization_id": "%s", "account_id": "account_id", "as_of": "%s"}
    params: list = []
    select.update({name: date(name) for name in columns.days})
    select.update({name: name for name in columns.counts})
    select.update({name: money(name) for name in columns.money})
    select.update({name: nullable(name) for name in columns.floats})
    for name, distinct in texts.items():
        whens = " ".join(f"WHEN {k} THEN %s" for k in range(len(distinct)))
        select[name] = f"CASE {name}_code {whens} END" if distinct else "NULL"  # no rows
        params += distinct
    costs = [f"cost_{j}" for j in range(len(columns.drivers))]
    if pg:
        # The JSON text of the non-zero drivers, parsed once: a third of what
        # jsonb_strip_nulls(jsonb_build_object(...)) costs over nine pairs.
        members = ", ".join(f"CASE WHEN {c} <> 'NaN' THEN CAST(%s AS TEXT) || {c} END"
                            for c in costs)
        select["cost_breakdown"] = f"CAST('{{' || concat_ws(',', {members}) || '}}' AS JSONB)"
        params += [f'"{driver}":' for driver in columns.drivers]
    else:
        # A JSON merge patch drops the members whose value is null.
        pairs = ", ".join(f"%s, {c}" for c in costs)
        select["cost_breakdown"] = f"json_patch('{{}}', json_object({pairs}))"
        params += list(columns.drivers)
    return select, params
