"""The generic API, page and probe suites (see ``tests/generic/__init__.py``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from vinculo.core.models import AuditEntry, User
from vinculo.core.roles import OWNER_SCOPED_ROLES, Role, role_has

ROLES = list(Role.values)
BASELINE_FILE = Path(__file__).resolve().parent.parent / "query_counts.json"
UPDATE_BASELINE = os.environ.get("VINCULO_QUERY_COUNTS") == "update"

#: Builds a record for the suite: ``build(admin, owner)``; ``owner`` is the user the record
#: must belong to for the record-level rule (its owner, assignee, or the owner of its account).
Builder = Callable[[User, User], Any]


# ---------------------------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """An extra action of an endpoint (``merge``, ``convert``, ``note``…) for the role matrix.

    ``route`` is the router's url_name of the action (``<basename>-<route>``); ``payload`` is
    ``payload(admin, user, record)``. ``audit_rows`` (when set) is how many audit rows a
    successful call writes.
    """

    route: str
    permission: str
    method: str = "post"
    detail: bool = True
    payload: Callable[[User, User, Any], dict] | None = None
    ok: int = 200
    audit_rows: int | None = None
    build: Builder | None = None  # a record of its own (an issued invoice to pay, say)


@dataclass(frozen=True)
class Api:
    """One API endpoint over a model: ``/api/<prefix>/`` and ``/api/<prefix>/<uuid>/``.

    ``create(admin, user)`` returns a payload that ``user`` may post (it may build records it
    refers to); ``update(record)`` a PATCH payload (the suite adds ``version``). Permissions
    default to ``<domain>.view|add|change|delete``; ``permissions`` overrides them per action
    (list, retrieve, create, update, delete).
    """

    basename: str
    domain: str | None  # None: any signed-in user of the organisation
    build: Builder
    create: Callable[[User, User], dict] | None = None
    update: Callable[[Any], dict] | None = None
    delete: bool = False
    delete_status: int = 204
    create_status: int = 201
    versioned: bool = True
    detail: bool = True  # has a ``<basename>-detail`` route
    retrieve: bool = True  # answers GET on it
    permissions: Mapping[str, str] = field(default_factory=dict)
    calls: tuple[Call, ...] = ()
    rows: int = 4  # records listed when the query count is measured
    per_user: bool = False  # each user reaches only the records they made (tokens, imports)

    def permission(self, action: str) -> str | None:
        default = {"list": "view", "retrieve": "view", "create": "add", "update": "change",
                   "delete": "delete"}[action]
        if action in self.permissions or self.domain is None:
            return self.permissions.get(action)
        return f"{self.domain}.{default}"

    def list_url(self) -> str:
        return reverse(f"{self.basename}-list")

    def detail_url(self, record: Any) -> str:
        return reverse(f"{self.basename}-detail", kwargs={"uuid": record.uuid})


@dataclass(frozen=True)
class Page:
    """The pages of a model: URL names (``app:name``) of its list, detail, create and edit."""

    key: str
    domain: str
    build: Builder
    list: str | None = None
    detail: str | None = None
    create: str | None = None
    edit: str | None = None
    permissions: Mapping[str, str] = field(default_factory=dict)
    rows: int = 4
    per_user: bool = False  # each user reaches only the records they made
    #: What shows a record on its list page, when not its UUID (a payment: its invoice's).
    marker: Callable[[Any], str] | None = None

    def mark(self, record: Any) -> str:
        return self.marker(record) if self.marker else str(record.uuid)

    def permission(self, action: str) -> str:
        default = {"list": "view", "detail": "view", "create": "add", "edit": "change"}[action]
        return self.permissions.get(action, f"{self.domain}.{default}")

    def url(self, action: str, record: Any = None) -> str:
        name = getattr(self, action)
        if action in ("detail", "edit"):
            return reverse(name, kwargs={"uuid": record.uuid})
        return reverse(name)


@dataclass(frozen=True)
class Probe:
    """One URL and the permission it needs: ``url`` is a URL name or ``url(admin) -> path``."""

    name: str
    url: str | Callable[[User], str]
    permission: str
    api: bool = False
    method: str = "get"
    payload: Callable[[User, User], dict] | None = None
    ok: int = 200

    def path(self, admin: User) -> str:
        return reverse(self.url) if isinstance(self.url, str) else self.url(admin)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def api_client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run a step inside a savepoint that is rolled back: the next step starts from the same
    data."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def audit_count(model: type | None = None) -> int:
    """Audit rows in all, or about rows of ``model``."""
    rows = AuditEntry.all_objects.all()
    if model is not None:
        rows = rows.filter(object_type=model._meta.label_lower)
    return rows.count()


def snapshot(record: Any) -> dict | None:
    model = type(record)
    manager = getattr(model, "all_objects", model._default_manager)
    return manager.filter(pk=record.pk).values().first()


def row_count(model: type) -> int:
    return getattr(model, "all_objects", model._default_manager).count()


def expected(role: str, permission: str | None, ok: int) -> int:
    """What ``roles.py`` says a call answers: ``ok`` if the role holds the permission (or
    none is needed), else 403."""
    return ok if permission is None or role_has(role, permission) else 403


def listed_ids(response: Any) -> set[str]:
    data = response.json()
    rows = data["results"] if isinstance(data, dict) else data
    return {str(row.get("id")) for row in rows}


def body(response: Any) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", "replace")


def count_queries(fetch: Callable[[], Any]) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    return len(queries), response


def assert_baseline(key: str, measured: int) -> None:
    """Compare with the committed count, or record it when regenerating the baseline."""
    baseline = json.loads(BASELINE_FILE.read_text()) if BASELINE_FILE.exists() else {}
    if UPDATE_BASELINE:
        baseline[key] = measured
        BASELINE_FILE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
        return
    assert key in baseline, (
        f"no query-count baseline for {key!r} (measured {measured}); regenerate it with "
        "VINCULO_QUERY_COUNTS=update pytest tests -k query_count")
    assert measured == baseline[key], (
        f"{key}: {measured} queries, baseline {baseline[key]} (tests/query_counts.json). More "
        "is probably an N+1; if the change is intended, regenerate the baseline with "
        "VINCULO_QUERY_COUNTS=update pytest tests -k query_count")


def write_check(problems: list[str], label: str, status: int, want: int,
                audit_before: tuple[int, int], model: type, audit_rows: int | None,
                unchanged: Callable[[], bool]) -> None:
    """A refused write changed nothing; a successful one wrote ``audit_rows`` audit rows
    about ``model`` (a write may also change other records, e.g. an account's lifecycle
    stage when an opportunity opens: those rows are theirs)."""
    written = audit_count() - audit_before[0]
    if want == 403:
        if written or not unchanged():
            problems.append(f"{label}: refused, yet it wrote ({written} audit rows)")
    elif status == want and audit_rows is not None:
        about = audit_count(model) - audit_before[1]
        if about != audit_rows:
            problems.append(f"{label}: {about} audit rows about {model._meta.label}, "
                            f"expected {audit_rows}")


def audit_counts(model: type) -> tuple[int, int]:
    return audit_count(), audit_count(model)


# ---------------------------------------------------------------------------------------------
# Suites
# ---------------------------------------------------------------------------------------------


class ApiSuite:
    """Subclass with ``api = Api(...)`` in ``tests/<app>/test_generic.py``."""

    api: Api

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("api")
        if spec is not None and not (spec.update and spec.versioned):
            # No versioned update to make stale: the check is not generated (never skipped).
            cls.test_stale_version_is_refused = None  # type: ignore[assignment]

    def _payload(self, data: dict, record: Any) -> dict:
        return {**data, "version": record.version} if self.api.versioned else data

    def _call_url(self, call: Call, record: Any) -> str:
        name = f"{self.api.basename}-{call.route}"
        return reverse(name, kwargs={"uuid": record.uuid}) if call.detail else reverse(name)

    def _steps(self, audited: int) -> list[tuple[str, int, int | None]]:
        """(action, success status, audit rows of a success) of what the endpoint offers."""
        spec = self.api
        steps: list[tuple[str, int, int | None]] = [("list", 200, None)]
        if spec.detail and spec.retrieve:
            steps.append(("retrieve", 200, None))
        if spec.create:
            steps.append(("create", spec.create_status, audited))
        if spec.update:
            steps.append(("update", 200, audited))
        if spec.delete:
            steps.append(("delete", spec.delete_status, audited))
        return steps

    def _send(self, client: APIClient, action: str, record: Any, payload: Any) -> Any:
        spec = self.api
        if action == "list":
            return client.get(spec.list_url())
        if action == "retrieve":
            return client.get(spec.detail_url(record))
        if action == "create":
            return client.post(spec.list_url(), payload, format="json")
        if action == "update":
            return client.patch(spec.detail_url(record),
                                self._payload(spec.update(record), record), format="json")
        return client.delete(spec.detail_url(record))

    @pytest.mark.django_db
    def test_role_matrix(self, users):
        """Every role × every action, as ``roles.py`` says; writes are audited or refused whole."""
        spec, admin = self.api, users[Role.ADMIN]
        first = spec.build(admin, admin)
        model = type(first)
        # every write below is rolled back, so one record serves all roles unless the
        # record-level rule needs it to be the role's own
        owner_scoped = spec.per_user or getattr(model, "owner_field", None) is not None
        problems: list[str] = []
        for role in ROLES:
            user = users[role]
            client = api_client(user)
            record = spec.build(admin, user) if owner_scoped else first
            # an audited model writes one row per write; an unaudited one (API tokens) none
            audited = 1 if getattr(model, "audited", False) else 0
            for action, ok, audit_rows in self._steps(audited):
                want = expected(role, spec.permission(action), ok)
                with rolled_back():
                    payload = spec.create(admin, user) if action == "create" else None
                    before, rows = snapshot(record), row_count(model)
                    audit_before = audit_counts(model)
                    response = self._send(client, action, record, payload)
                    label = f"{role} {action} {spec.basename}"
                    if response.status_code != want:
                        problems.append(f"{label}: {response.status_code}, expected {want} "
                                        f"({response.content[:200]!r})")
                    if action in ("list", "retrieve"):
                        continue
                    write_check(problems, label, response.status_code, want, audit_before,
                                model, audit_rows, lambda r=record, b=before, n=rows: (
                                    snapshot(r) == b and row_count(model) == n))
            for call in spec.calls:
                want = expected(role, call.permission, call.ok)
                with rolled_back():
                    target = call.build(admin, user) if call.build else record
                    payload = call.payload(admin, user, target) if call.payload else None
                    before, audit_before = snapshot(target), audit_counts(model)
                    url = self._call_url(call, target)
                    response = getattr(client, call.method)(url, payload, format="json")
                    label = f"{role} {call.method.upper()} {url}"
                    if response.status_code != want:
                        problems.append(f"{label}: {response.status_code}, expected {want} "
                                        f"({response.content[:200]!r})")
                    if call.method != "get":
                        write_check(problems, label, response.status_code, want, audit_before,
                                    model, call.audit_rows,
                                    lambda r=target, b=before: snapshot(r) == b)
        if spec.detail and not spec.delete:  # what is not declared is not offered
            with rolled_back():
                status = api_client(admin).delete(spec.detail_url(record)).status_code
                if status != 405:
                    problems.append(f"admin DELETE {spec.basename}: {status}, expected 405")
        assert not problems, "\n".join(problems)

    @pytest.mark.django_db
    def test_record_level_rule(self, users, other_admin):
        """A sales representative reaches their own and their team's records, not another
        team's; another organisation's record is a 404 everywhere and never listed."""
        spec, admin = self.api, users[Role.ADMIN]
        rep, mate, south = users[Role.SALES_REP], users["sales_rep_2"], users["sales_rep_south"]
        mine = spec.build(admin, rep)
        problems: list[str] = []
        # another organisation
        foreign_org = api_client(other_admin)
        before, audit_before = snapshot(mine), audit_count()
        if str(mine.uuid) in listed_ids(foreign_org.get(spec.list_url())):
            problems.append("another organisation lists the record")
        if spec.detail:
            url = spec.detail_url(mine)
            for method in ("get", "patch", "put", "delete"):
                version = getattr(mine, "version", 1)
                status = getattr(foreign_org, method)(url, {"version": version},
                                                      format="json").status_code
                must_find = method == "get" and spec.retrieve  # 405 only where no GET
                if status not in (404, 405) or (must_find and status != 404):
                    problems.append(f"another organisation: {method.upper()} {url} → {status}")
        if snapshot(mine) != before or audit_count() != audit_before:
            problems.append("another organisation's calls changed the record")
        owner_scoped = getattr(type(mine), "owner_field", None) is not None
        if owner_scoped:
            assert rep.role in OWNER_SCOPED_ROLES
            team = spec.build(admin, mate)
            foreign = spec.build(admin, south)
            client = api_client(rep)
            seen = listed_ids(client.get(spec.list_url()))
            if not {str(mine.uuid), str(team.uuid)} <= seen:
                problems.append("the representative does not list their own and team's records")
            if str(foreign.uuid) in seen:
                problems.append("the representative lists another team's record")
            if spec.detail and spec.retrieve:
                for record, status in ((mine, 200), (team, 200), (foreign, 404)):
                    got = client.get(spec.detail_url(record)).status_code
                    if got != status:
                        problems.append(f"representative GET {record}: {got}, expected {status}")
                if spec.update and role_has(rep.role, spec.permission("update")):
                    for record, status in ((team, 200), (foreign, 404)):
                        with rolled_back():
                            got = client.patch(spec.detail_url(record), self._payload(
                                spec.update(record), record), format="json")
                            if got.status_code != status:
                                problems.append(f"representative PATCH {record}: "
                                                f"{got.status_code}, expected {status} "
                                                f"({got.content[:200]!r})")
                if spec.delete and role_has(rep.role, spec.permission("delete")):
                    with rolled_back():
                        got = client.delete(spec.detail_url(foreign)).status_code
                        if got != 404:
                            problems.append(f"representative DELETE another team's: {got}")
        assert not problems, "\n".join(problems)

    @pytest.mark.django_db
    def test_stale_version_is_refused(self, users):
        """An update that sends the version read before someone else's change is a 409 and
        writes nothing."""
        spec, admin = self.api, users[Role.ADMIN]
        record = spec.build(admin, admin)
        client = api_client(admin)
        read, before, audit_before = record.version, snapshot(record), audit_count()
        missing = client.patch(spec.detail_url(record), spec.update(record), format="json")
        assert missing.status_code == 400 and "version" in missing.json(), missing.content
        assert snapshot(record) == before and audit_count() == audit_before
        first = client.patch(spec.detail_url(record), {**spec.update(record), "version": read},
                             format="json")
        assert first.status_code == 200, first.content
        before, audit_before = snapshot(record), audit_count()
        stale = client.patch(spec.detail_url(record), {**spec.update(record), "version": read},
                             format="json")
        assert stale.status_code == 409, stale.content
        assert stale.json()["current_version"] == before["version"]
        assert snapshot(record) == before
        assert audit_count() == audit_before

    @pytest.mark.django_db
    def test_query_count(self, users):
        """List and detail cost what the committed baseline says, with several rows."""
        spec, admin = self.api, users[Role.ADMIN]
        records = [spec.build(admin, admin) for _ in range(spec.rows)]
        client = api_client(admin)
        client.get(spec.list_url())  # warm caches (content types, the organisation)
        measured, response = count_queries(lambda: client.get(spec.list_url()))
        assert response.status_code == 200
        assert len(listed_ids(response)) >= spec.rows
        records += [spec.build(admin, admin) for _ in range(2)]
        more, response = count_queries(lambda: client.get(spec.list_url()))
        assert len(listed_ids(response)) >= spec.rows + 2
        assert more == measured, (
            f"{spec.list_url()}: {measured} queries for {spec.rows} rows, {more} for "
            f"{spec.rows + 2}: a query per row (N+1)")
        assert_baseline(f"api {spec.basename} list", measured)
        if spec.detail and spec.retrieve:
            measured, response = count_queries(
                lambda: client.get(spec.detail_url(records[-1])))
            assert response.status_code == 200
            assert_baseline(f"api {spec.basename} detail", measured)


class PageSuite:
    """Subclass with ``page = Page(...)`` in ``tests/<app>/test_generic.py``."""

    page: Page

    def _actions(self) -> list[str]:
        return [a for a in ("list", "detail", "create", "edit") if getattr(self.page, a)]

    @pytest.mark.django_db
    def test_role_matrix(self, users, client):
        """Every role × list, detail, create and edit page: 200 or 403 as ``roles.py`` says."""
        spec, admin = self.page, users[Role.ADMIN]
        problems: list[str] = []
        record, owner_scoped = None, True
        for role in ROLES:
            user = users[role]
            client.force_login(user)
            if spec.detail or spec.edit:
                record = spec.build(admin, user) if (owner_scoped or record is None) else record
                owner_scoped = (spec.per_user
                                or getattr(type(record), "owner_field", None) is not None)
            for action in self._actions():
                want = expected(role, spec.permission(action), 200)
                url = spec.url(action, record)
                status = client.get(url).status_code
                if status != want:
                    problems.append(f"{role} GET {url}: {status}, expected {want}")
                if action in ("create", "edit") and want == 403:  # nor may they send the form
                    before, audit_before = record and snapshot(record), audit_count()
                    status = client.post(url, {"version": getattr(record, "version", 1)})
                    if status.status_code != 403:
                        problems.append(f"{role} POST {url}: {status.status_code}, expected 403")
                    if audit_count() != audit_before or (record and snapshot(record) != before):
                        problems.append(f"{role} POST {url}: refused, yet it wrote")
        assert not problems, "\n".join(problems)

    @pytest.mark.django_db
    def test_record_level_rule(self, users, other_admin, client):
        """Another organisation's record: 404 on its pages, absent from the list; a sales
        representative sees their own and team's records, not another team's."""
        spec, admin = self.page, users[Role.ADMIN]
        rep, mate, south = users[Role.SALES_REP], users["sales_rep_2"], users["sales_rep_south"]
        mine = spec.build(admin, rep)
        problems: list[str] = []
        client.force_login(other_admin)
        for action in ("detail", "edit"):
            if getattr(spec, action):
                for method in ("get", "post"):
                    status = getattr(client, method)(spec.url(action, mine)).status_code
                    if status != 404 and not (method == "post" and status == 405):
                        problems.append(f"another organisation {method} {action}: {status}")
        if spec.list and spec.mark(mine) in body(client.get(spec.url("list"))):
            problems.append("another organisation's list shows the record")
        if getattr(type(mine), "owner_field", None) is not None:
            team, foreign = spec.build(admin, mate), spec.build(admin, south)
            client.force_login(rep)
            if spec.list:
                page = body(client.get(spec.url("list")))
                if spec.mark(mine) not in page or spec.mark(team) not in page:
                    problems.append("the representative's list lacks own or team records")
                if spec.mark(foreign) in page:
                    problems.append("the representative's list shows another team's record")
            for action in ("detail", "edit"):
                if getattr(spec, action):
                    for record, want in ((team, 200), (foreign, 404)):
                        if action == "edit" and not role_has(rep.role, spec.permission("edit")):
                            want = 403 if want == 200 else want
                        status = client.get(spec.url(action, record)).status_code
                        if status != want and not (want == 404 and status == 403):
                            problems.append(f"representative {action} {record}: {status}, "
                                            f"expected {want}")
        assert not problems, "\n".join(problems)

    @pytest.mark.django_db
    def test_query_count(self, users, client):
        """List and detail pages cost what the committed baseline says, with several rows."""
        spec, admin = self.page, users[Role.ADMIN]
        records = [spec.build(admin, admin) for _ in range(spec.rows)]
        client.force_login(admin)
        for action in ("list", "detail"):
            if not getattr(spec, action):
                continue
            url = spec.url(action, records[-1])
            client.get(url)  # warm caches and the session
            measured, response = count_queries(lambda u=url: client.get(u))
            assert response.status_code == 200, url
            if action == "list":
                records += [spec.build(admin, admin) for _ in range(2)]
                more, _response = count_queries(lambda u=url: client.get(u))
                assert more == measured, (
                    f"{url}: {measured} queries for {spec.rows} rows, {more} for "
                    f"{spec.rows + 2}: a query per row (N+1)")
            assert_baseline(f"page {spec.key} {action}", measured)


class ProbeSuite:
    """Subclass with ``probes = [Probe(...), ...]``: each URL × every role."""

    probes: list[Probe]

    @pytest.mark.django_db
    def test_role_matrix(self, users, client):
        admin = users[Role.ADMIN]
        problems: list[str] = []
        for role in ROLES:
            user = users[role]
            api = api_client(user)
            client.force_login(user)
            for probe in self.probes:
                want = expected(role, probe.permission, probe.ok)
                with rolled_back():
                    url = probe.path(admin)
                    payload = probe.payload(admin, user) if probe.payload else None
                    caller = api if probe.api else client
                    kwargs = {"format": "json"} if probe.api and payload is not None else {}
                    audit_before = audit_count()
                    status = getattr(caller, probe.method)(url, payload, **kwargs).status_code
                    if status != want:
                        problems.append(f"{role} {probe.method.upper()} {url}: {status}, "
                                        f"expected {want}")
                    if want == 403 and audit_count() != audit_before:
                        problems.append(f"{role} {url}: refused, yet it wrote")
        assert not problems, "\n".join(problems)


@dataclass(frozen=True)
class Report:
    """A page or endpoint that reads an owner-scoped model without being its list: an
    aggregate (aging, service levels), a report, an export. ``build(admin, owner)`` makes a
    record that shows in it, on a customer of ``owner``; ``marker(record)`` is the text that
    shows it there (its account's name, its number). ``url`` is a URL name or ``url(admin)``.
    """

    name: str
    url: str | Callable[[User], str]
    build: Builder
    marker: Callable[[Any], str]
    api: bool = False

    def path(self, admin: User) -> str:
        return reverse(self.url) if isinstance(self.url, str) else self.url(admin)


class ReportSuite:
    """Subclass with ``reports = [Report(...), ...]``: each report × the record-level rule."""

    reports: list[Report]

    @pytest.mark.django_db
    def test_record_level_rule(self, users, client):
        """A sales representative's reports, totals and exports count their own and their
        team's customers' records, never another team's; the administrator's count all."""
        admin = users[Role.ADMIN]
        rep, mate, south = users[Role.SALES_REP], users["sales_rep_2"], users["sales_rep_south"]
        problems: list[str] = []
        for report in self.reports:
            mine, team, foreign = (report.build(admin, owner) for owner in (rep, mate, south))
            for user, shown, hidden in ((admin, (mine, team, foreign), ()),
                                        (rep, (mine, team), (foreign,))):
                if report.api:
                    response = api_client(user).get(report.path(admin))
                else:
                    client.force_login(user)
                    response = client.get(report.path(admin))
                if response.status_code != 200:
                    problems.append(f"{report.name} as {user.role}: {response.status_code}")
                    continue
                text = body(response)
                for record in shown:
                    if report.marker(record) not in text:
                        problems.append(f"{report.name} as {user.role} lacks {record}")
                for record in hidden:
                    if report.marker(record) in text:
                        problems.append(f"{report.name} as {user.role} shows another team's "
                                        f"{record}")
        assert not problems, "\n".join(problems)


@dataclass(frozen=True)
class Deletion:
    """A deletable model that other records point to through protected keys (``PROTECT``).

    ``build(admin)`` makes the record and what points to it and answers ``(record, phrases)``:
    how the refusal must name what points to it, in English (``"2 orders"``); ``phrases_es`` the
    same in Spanish. ``api`` is the router basename, ``page`` the URL name of its delete page.
    """

    key: str
    build: Callable[[User], tuple[Any, list[str]]]
    phrases_es: tuple[str, ...] = ()
    api: str | None = None
    page: str | None = None


class DeletionSuite:
    """Subclass with ``deletions = [Deletion(...), ...]``: deleting a record that others point
    to is a 409 naming them, on the page and in the API, nothing removed, and deactivation is
    offered where the record has an ``active`` flag."""

    deletions: list[Deletion]

    @pytest.mark.django_db
    def test_refused_while_pointed_to(self, users, client):
        admin = users[Role.ADMIN]
        problems: list[str] = []
        for spec in self.deletions:
            record, phrases = spec.build(admin)
            model = type(record)
            has_active = any(f.name == "active" for f in model._meta.concrete_fields)
            before, audit_before = row_count(model), audit_count()
            if spec.api:
                url = reverse(f"{spec.api}-detail", kwargs={"uuid": record.uuid})
                for language, wanted in (("en", phrases), ("es", spec.phrases_es)):
                    response = api_client(admin).delete(url, HTTP_ACCEPT_LANGUAGE=language)
                    answer = response.json() if response.status_code == 409 else {}
                    if response.status_code != 409 or answer.get("code") != "in_use":
                        problems.append(f"{spec.key} API DELETE: {response.status_code} "
                                        f"{response.content[:200]!r}")
                        continue
                    missing = [p for p in wanted if p not in answer["detail"]]
                    if missing:
                        problems.append(f"{spec.key} API ({language}) does not say {missing}: "
                                        f"{answer['detail']}")
                    if answer["deactivate"] != has_active:
                        problems.append(f"{spec.key} API: deactivate={answer['deactivate']}")
            if spec.page:
                client.force_login(admin)
                url = reverse(spec.page, kwargs={"uuid": record.uuid})
                response = client.post(url)
                text = body(response)
                if response.status_code != 409 or not all(p in text for p in phrases):
                    problems.append(f"{spec.key} page POST: {response.status_code}, "
                                    f"expected 409 naming {phrases}")
                offered = 'name="deactivate"' in text
                if offered != has_active:
                    problems.append(f"{spec.key} page: deactivation offered={offered}")
            if row_count(model) != before or audit_count() != audit_before:
                problems.append(f"{spec.key}: a refused deletion removed or wrote something")
            if spec.page and has_active:
                response = client.post(url, {"deactivate": "1"})
                record.refresh_from_db()
                if response.status_code != 302 or record.active:
                    problems.append(f"{spec.key} page: deactivating gave {response.status_code}, "
                                    f"active={record.active}")
        assert not problems, "\n".join(problems)
