"""The plug-in contract: everything an app adds to the product, declared in one place.

An app's ``AppConfig`` subclasses :class:`VinculoApp` and sets ``contract`` to a
:class:`Contract`. The URL configuration, the API router, the menu, the role table, the 360°
timeline, the scheduler, the demo, the cost drivers of the cost to serve, the global search,
the home page, the report datasets and the domain events are all built from those declarations,
so adding an app costs a declaration, not an edit in each of those places
(``docs/architecture.md``, "Adding an app").

Callables are named by dotted path (``"vinculo.sales.selectors.timeline"``) and imported on
first use: the contract is read while Django builds its app registry, before any model exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import AppConfig, apps
from django.utils.module_loading import import_string

Label = Any  # a str or a lazily translated string


@dataclass(frozen=True)
class ApiRoute:
    """A viewset mounted on the REST API router at ``/api/<prefix>/``."""

    prefix: str
    viewset: str  # dotted path
    basename: str


@dataclass(frozen=True)
class Menu:
    """A top-level entry of the navigation bar: a dropdown (items point at it by ``key``) or,
    with ``url``, a single link."""

    key: str
    label: Label
    order: int
    url: str = ""  # URL name of a single link; empty for a dropdown
    permission: str | None = None


@dataclass(frozen=True)
class MenuItem:
    """A link in a menu. Items are sorted by (section, order); a divider separates sections and
    the first item of a section shows its ``header`` when it has one."""

    menu: str
    label: Label
    url: str  # URL name
    permission: str | None = None
    query: str = ""  # appended to the URL: "status=open_any"
    section: int = 0
    order: int = 0
    header: Label = ""


@dataclass(frozen=True)
class Job:
    """A periodic job: a management command run every ``every`` or daily at ``daily_at``
    (local time) by ``vinculo scheduler`` (once per slot: ``core.schedule``) or cron."""

    command: str
    args: tuple[str, ...] = ()
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"job {self.command}: give either an interval or a daily time")

    @property
    def name(self) -> str:
        return " ".join((self.command, *self.args))


@dataclass(frozen=True)
class DemoGenerator:
    """Writes the app's demo rows: ``run(ctx) -> {label: rows}``, in ascending ``order``
    (customers 100; later apps build on the ids earlier ones shared in ``ctx.shared``)."""

    run: str  # dotted path
    order: int
    estimate: str = ""  # dotted path: rows it will write for N customers (the progress bar)


@dataclass(frozen=True)
class CostDriver:
    """An activity that costs money to serve a customer. ``count(org_id, start, end)`` yields
    ``(account_id, units)`` for the activities in the days (start, end] — an aggregate query."""

    name: str
    label: Label
    count: str  # dotted path
    order: int = 0


@dataclass(frozen=True)
class SearchProvider:
    """A group of results in the global search box: ``search(user, query, limit)`` returns the
    records the user may see; ``template`` draws one of them."""

    key: str
    label: Label
    search: str  # dotted path
    template: str
    permission: str
    order: int = 0
    detail_url: str = ""  # URL name of a record's page (takes ``uuid``), for the API's links


@dataclass(frozen=True)
class HomePanel:
    """A panel of the home page: ``context(user)`` returns the template's context.

    Shown to the roles holding ``permission``; ``first_for`` names the roles whose day starts
    with it (a service agent's tickets, a representative's opportunities, a manager's key
    figures), so each role finds its own work at the top without a page per role. ``wide``
    panels (lists with several sections) take twice the width of a figure.
    """

    key: str
    template: str
    context: str  # dotted path: context(user) -> dict
    permission: str
    order: int = 0
    first_for: frozenset[str] = frozenset()
    wide: bool = False


@dataclass(frozen=True)
class Event:
    """A domain event the app publishes after commit (``core.events.publish``).

    ``payload`` documents the keys of the event's data beside the record's UUID and the actor.
    """

    name: str  # "<entity>.<what happened>": "invoice.issued"
    description: str
    payload: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Subscriber:
    """Code run when an event is published.

    ``after_commit`` (the default) runs once the publishing transaction committed, so a failure
    cannot undo the business change; ``in_transaction`` runs inside it, for rules that must
    commit or fail together with the change (an interaction that is a ticket's first response).
    """

    event: str
    handler: str  # dotted path: handler(event: core.events.Occurrence) -> Any
    in_transaction: bool = False


@dataclass(frozen=True)
class PersonalData:
    """What the app holds about a person (a contact), declared once for both rights: the
    export (``export(subject) -> JSON-ready list or dict``, the section ``key`` of the
    "download my data" file) and the erasure (``erase(subject) -> None``, run inside the one
    transaction of an approved request). One declaration for both, so they cannot drift
    apart (``core/privacy.py``). ``kept`` says what the app keeps after an erasure and why
    (a legal duty); ``order`` sorts the export's sections and the erasers (core's audit
    scrub runs last, after every other app's writes). ``customer_export`` is the section as
    the person's own self-service download shows it (the portal), without what staff wrote
    for themselves (internal notes, tasks, comments, amounts of opportunities): a dotted path
    like ``export``; None when the section holds nothing of the kind (``export`` serves both);
    ``""`` leaves the section out of that download."""

    key: str
    label: Label
    export: str  # dotted path: export(subject) -> list | dict
    erase: str  # dotted path: erase(subject) -> None
    order: int = 0
    kept: Label = ""
    customer_export: str | None = None  # dotted path; None: ``export``; "": left out


#: The types a report field can have, and the aggregates each allows by default.
FIELD_TYPES = ("text", "choice", "integer", "number", "money", "date", "datetime", "boolean",
               "reference")
_NUMERIC = frozenset({"count", "distinct", "sum", "avg", "min", "max", "share"})
DEFAULT_AGGREGATES: Mapping[str, frozenset[str]] = {
    "text": frozenset({"count", "distinct"}),
    "choice": frozenset({"count", "distinct"}),
    "reference": frozenset({"count", "distinct"}),
    "boolean": frozenset({"count", "distinct"}),
    "integer": _NUMERIC,
    "number": _NUMERIC,
    "money": _NUMERIC,
    "date": frozenset({"count", "distinct", "min", "max"}),
    "datetime": frozenset({"count", "distinct", "min", "max"}),
}


@dataclass(frozen=True)
class DatasetField:
    """A field a report may show, filter, group or aggregate.

    ``name`` is the ORM path from the dataset's model (``"account__industry"``); the label and
    the type default to the model field's verbose name and kind (read when the registry is
    built, once the models exist). ``aggregates`` narrows or widens what the type allows;
    ``group`` says whether rows may be grouped by it (a date by day/week/month/quarter/year);
    ``permission`` is needed besides the dataset's own (a cost only analysts read).
    """

    name: str
    label: Label = ""
    type: str = ""  # one of FIELD_TYPES; empty: from the model field
    aggregates: frozenset[str] | None = None
    group: bool = True
    permission: str | None = None


@dataclass(frozen=True)
class DatasetJoin:
    """A related dataset reachable from every row: its fields are named ``<key>.<field>``
    (an order's ``account.industry``) and need the related dataset's permission too."""

    key: str
    dataset: str  # the related dataset's key
    path: str  # ORM path from this dataset's model to the related one ("account")
    label: Label = ""


@dataclass(frozen=True)
class Capture:
    """Where some fields of a dataset are captured: a form, an import, a touch point (a web
    form, the portal, an e-mail read in) or a computation. ``fields`` names the dataset's
    fields (empty: all of them); ``url`` is a URL name of the page that captures them."""

    label: Label
    kind: str = "form"  # one of CAPTURE_KINDS
    fields: tuple[str, ...] = ()
    url: str = ""


CAPTURE_KINDS = ("form", "import", "touch", "computed")


@dataclass(frozen=True)
class Dataset:
    """Rows a report can be built on (``reports``), declared by the app that owns them.

    ``queryset(user)`` (a dotted path) returns the rows the user may read, exactly as their
    list does: the organisation by scope, then the record rule. Empty: the model's
    ``objects.all().restrict(user)`` (what ``RecordListView.base_queryset`` reads); for lines
    read with their document, ``parent`` names the foreign key whose dataset's rule applies.
    """

    key: str
    label: Label
    model: str  # "app_label.Model"
    permission: str
    fields: tuple[DatasetField, ...]
    joins: tuple[DatasetJoin, ...] = ()
    queryset: str = ""  # dotted path: queryset(user) -> QuerySet
    parent: str = ""  # "order": rows follow the record rule of their order
    date_field: str = ""  # the field a period filter and the sample data use first
    order: int = 0
    # ORM path of the ISO currency code of the rows' money fields ("currency", "order__currency"):
    # a sum across several currencies is then flagged instead of passing as one amount
    currency: str = ""
    # where the data are captured (forms, imports, touch points): the data-capture page
    capture: tuple[Capture, ...] = ()


#: What an indicator's figure is: money (the organisation's base currency), a percentage (a
#: share, 0–100), a count, a score (a mean CSAT of 1–5, an NPS of −100…100), a return (a gain
#: over a cost in %, of any sign and past 100: a campaign's ROI).
INDICATOR_UNITS = ("money", "percent", "count", "score", "return")


@dataclass(frozen=True)
class Indicator:
    """A figure the company sets objectives on (``reports`` objectives), measured by the app
    that owns the rule behind it.

    ``measure`` (a dotted path) is ``measure(*, start, end, owners) -> number | None``: the
    figure over the days ``start``–``end`` (inclusive) in the organisation in scope; ``owners``
    is ``None`` for the whole organisation, else the user ids whose records count (a team's
    members, one user) — given only when ``by_owner``. ``additive``: the figure is a sum over
    the days (revenue, complaints), so a period under way is projected linearly to its end; a
    rate or an average is projected at its current value. ``permission`` is what reading the
    figure needs (organisation-wide money: ``analytics.view``). ``definition`` says how it is
    measured, printed under the figure.
    """

    key: str
    label: Label
    measure: str
    unit: str
    permission: str
    additive: bool = False
    higher_is_better: bool = True
    by_owner: bool = False
    definition: Label = ""
    order: int = 0


@dataclass(frozen=True)
class Contract:
    """What an app adds to the product. Every part is optional."""

    url_prefix: str | None = None  # pages mounted at /<url_prefix>, from "<app>.urls"
    public_urls: str = ""  # a module of pages without sign-in, mounted at the root
    # a module of public machine endpoints (a tracking pixel), mounted at the root as well and
    # answered by ``vinculo serve`` without the middleware (``core.lean``)
    lean_urls: str = ""
    api_routes: tuple[ApiRoute, ...] = ()
    menus: tuple[Menu, ...] = ()
    menu_items: tuple[MenuItem, ...] = ()
    permissions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    timeline: tuple[str, ...] = ()  # providers: provider(record, limit) -> TimelineItems
    jobs: tuple[Job, ...] = ()
    demo: DemoGenerator | None = None
    cost_drivers: tuple[CostDriver, ...] = ()
    search: tuple[SearchProvider, ...] = ()
    home_panels: tuple[HomePanel, ...] = ()
    events: tuple[Event, ...] = ()
    subscribers: tuple[Subscriber, ...] = ()
    # Contributions to extension points that another app defines and reads through
    # ``contributions(name)``: e-mail merge fields, web-form kinds, …
    extensions: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    # Rows reports can be built on (``Dataset``), with their fields and joins.
    datasets: tuple[Dataset, ...] = ()
    # What the app holds about a person: exported and erased through the same declaration.
    personal_data: tuple[PersonalData, ...] = ()
    # Figures objectives are set on (``Indicator``), measured by the app's selectors.
    indicators: tuple[Indicator, ...] = ()


class VinculoApp(AppConfig):
    """Base of every Vínculo app: ``contract`` says what the app adds."""

    default_auto_field = "django.db.models.BigAutoField"
    contract: Contract = Contract()
    # Django takes the one AppConfig subclass an ``apps.py`` defines; this base, imported there
    # too, must not count, and each subclass must.
    default = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True


# ---- reading the declarations -----------------------------------------------------------------


def installed() -> list[VinculoApp]:
    """The Vínculo apps, in ``INSTALLED_APPS`` order (lower layers first)."""
    return [c for c in apps.get_app_configs() if isinstance(c, VinculoApp)]


def contracts() -> Iterator[tuple[VinculoApp, Contract]]:
    for config in installed():
        yield config, config.contract


@cache
def resolve(path: str) -> Callable[..., Any]:
    """The object a dotted path names, imported once."""
    return import_string(path)


def permissions() -> dict[str, frozenset[str]]:
    """permission -> roles holding it, from every app's declaration."""
    table: dict[str, frozenset[str]] = {}
    for config, contract in contracts():
        for permission, roles in contract.permissions.items():
            if permission in table:
                raise ValueError(f"{config.label} declares {permission!r}, already declared")
            table[permission] = frozenset(roles)
    return table


def menus() -> list[tuple[Menu, list[MenuItem]]]:
    """Every menu with its items, in order."""
    items: dict[str, list[MenuItem]] = {}
    declared: list[Menu] = []
    for _config, contract in contracts():
        declared.extend(contract.menus)
        for item in contract.menu_items:
            items.setdefault(item.menu, []).append(item)
    keys = {menu.key for menu in declared}
    unknown = set(items) - keys
    if unknown:
        raise ValueError(f"menu items point at undeclared menus: {sorted(unknown)}")
    return [
        (menu, sorted(items.get(menu.key, []), key=lambda i: (i.section, i.order)))
        for menu in sorted(declared, key=lambda m: m.order)
    ]


def collect(part: str) -> list[Any]:
    """Every app's declarations of one tuple-valued part of the contract, in app order."""
    return [item for _config, contract in contracts() for item in getattr(contract, part)]


def contributions(extension_point: str) -> list[Any]:
    """What the apps contribute to an extension point named by another app."""
    return [
        item for _config, contract in contracts()
        for item in contract.extensions.get(extension_point, ())
    ]
