"""Read replicas: the heavy reads (analytics pages, the demand forecast, exports) go to a
PostgreSQL streaming replica when one is configured (``DATABASE_REPLICA_URL``); everything else
stays on the primary.

Why opt-in rather than "every read to the replica": a replica is behind the primary by its
replay lag, and most pages show what the user has just written (the record after its form, the
list after an import). So reads go to the replica only inside :func:`replica` — entered by
:class:`ReplicaReadMixin` on the GET of the heavy views, whose figures are minutes or days old
by nature (snapshots, exports) — and even there not:

- inside a transaction on the primary (the router sends the reads of an atomic block to the
  primary, so a service that reads what it just wrote is never split across servers);
- for ``VINCULO_REPLICA_MAX_LAG`` + one health-check interval after the same session sent a
  write (any POST, PUT, PATCH, DELETE: :class:`ReplicaPinMiddleware`): commits replay in order,
  so once the replica is less than the max lag behind, everything committed before that moment
  is on it — the user's own write included;
- when the replica is down or more than ``VINCULO_REPLICA_MAX_LAG`` seconds behind. The lag is
  ``now() - pg_last_xact_replay_timestamp()`` on the replica (0 when it has replayed all it
  received: an idle primary sends nothing, and the last replay time grows old without any lag),
  checked at most every ``min(5, max_lag / 2)`` seconds per process and cached in between.

Writes always go to the primary; migrations run only there.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

REPLICA = "replica"
PRIMARY = "default"
SESSION_KEY = "_replica_pinned_until"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The alias heavy reads go to in this context (None: Django's default, the primary).
_reads_from: contextvars.ContextVar[str | None] = contextvars.ContextVar("reads_from",
                                                                         default=None)
LAG_SQL = """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
    END
"""


def configured() -> bool:
    return REPLICA in settings.DATABASES


def max_lag() -> float:
    return float(getattr(settings, "VINCULO_REPLICA_MAX_LAG", 30.0))


def check_interval() -> float:
    """How long one health verdict is trusted: a few seconds, less when the max lag is small."""
    return min(5.0, max_lag() / 2)


class _Health:
    """The last verdict on the replica in this process (shared by its threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked_at = float("-inf")
        self.usable = False
        self.lag: float | None = None

    def reset(self) -> None:
        with self.lock:
            self.checked_at, self.usable, self.lag = float("-inf"), False, None


health = _Health()


def _measure() -> float | None:
    """The replica's lag in seconds (None: it does not answer or has replayed nothing)."""
    conn = connections[REPLICA]
    try:
        with conn.cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
    except DatabaseError:
        conn.close()  # a dead connection must not be reused; the next check reconnects
        return None
    return None if row is None or row[0] is None else float(row[0])


def replica_usable() -> bool:
    """Whether the replica answers and is at most the max lag behind (cached per process)."""
    if not configured():
        return False
    now = time.monotonic()
    with health.lock:
        if now - health.checked_at < check_interval():
            if not health.usable:
                return False
            fresh = False
        else:
            fresh = True
    if fresh:
        lag = _measure()
        with health.lock:
            health.checked_at = time.monotonic()
            health.lag = lag
            health.usable = lag is not None and lag <= max_lag()
            return health.usable
    # The verdict was "usable" and is recent; the connection may still have died since.
    conn = connections[REPLICA]
    try:
        conn.ensure_connection()
        if not conn.is_usable():
            raise DatabaseError("replica connection unusable")
    except DatabaseError:
        conn.close()
        with health.lock:
            health.checked_at, health.usable, health.lag = time.monotonic(), False, None
        return False
    return True


@contextmanager
def replica() -> Iterator[str]:
    """Reads in this block go to the replica if it is usable; yields the alias chosen."""
    alias = REPLICA if replica_usable() else PRIMARY
    with _reading_from(alias):
        yield alias


@contextmanager
def _reading_from(alias: str) -> Iterator[None]:
    token = _reads_from.set(alias)
    try:
        yield
    finally:
        _reads_from.reset(token)


def pinned(request: HttpRequest) -> bool:
    """Whether this session wrote recently enough that the replica may not have its write."""
    session = getattr(request, "session", None)
    until = session.get(SESSION_KEY) if session is not None else None
    return until is not None and time.time() < float(until)


class ReplicaRouter:
    """Sends reads to the replica only inside :func:`replica` and outside any transaction."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        alias = _reads_from.get()
        if alias != REPLICA or connections[PRIMARY].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Rows read from the replica are rows of the primary: relate them freely.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


def _streamed(alias: str, content: Iterator[Any]) -> Iterator[Any]:
    """A streamed body is produced after the view returns: keep its reads where the view's
    went, one chunk at a time (a context variable set across a ``yield`` would leak)."""
    iterator = iter(content)
    while True:
        with _reading_from(alias):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


class ReplicaReadMixin:
    """For a heavy view: its GET (and HEAD) reads from the replica when that is safe."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        parent: Callable[..., HttpResponseBase] = super().dispatch  # type: ignore[misc]
        if request.method not in ("GET", "HEAD") or not configured() or pinned(request):
            return parent(request, *args, **kwargs)
        with replica() as alias:
            response = parent(request, *args, **kwargs)
        if (isinstance(response, StreamingHttpResponse) and alias == REPLICA
                and not response.is_async):
            response.streaming_content = _streamed(
                alias, cast(Iterator[bytes], response.streaming_content))
        return response


class ReplicaPinMiddleware:
    """After a session sends a write, its reads stay on the primary until the replica must
    have it (the max lag plus one health-check interval). Does nothing without a replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session that exists: an API call by token must not create one per write.
        if (request.method in UNSAFE_METHODS and configured() and session is not None
                and session.session_key):
            session[SESSION_KEY] = time.time() + max_lag() + check_interval()
        return response
