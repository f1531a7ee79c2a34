"""The built-in fields of the rule language, contributed to ``segments.fields`` by segments'
own contract: the accounts' and contacts' own fields, custom fields, tags, owner and team,
consent per channel, the latest finished analytics snapshot, activity and segment membership.

Every condition compiles to a ``Q`` on indexed columns or to ``pk IN (subquery)`` — an
uncorrelated subquery the database runs once (a hashed semi-join on PostgreSQL, a
materialised list on SQLite) — never to a loop over customers in Python. Aggregates
("orders in the last 365 days ≥ 2") are ``GROUP BY … HAVING`` subqueries; a customer without
rows counts as 0 (or as having no date), so "fewer than 2 orders" includes those who never
ordered. A count that only asks whether rows exist (≥ 1, = 0) is a plain ``IN`` / ``NOT IN``.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    FloatField,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.analytics.models import (
    PROFIT_SEGMENTS,
    SEGMENT_LABELS,
    VALUE_TIERS,
    AnalyticsRun,
    CustomerSnapshot,
    RunStatus,
)
from vinculo.core.models import CustomField, CustomFieldType, Tag, Team, User
from vinculo.customers.models import (
    Account,
    Channel,
    CompanySize,
    Consent,
    Contact,
    LifecycleStage,
    ServiceTier,
    SourceChannel,
)
from vinculo.interactions.models import Channel as InteractionChannel
from vinculo.interactions.models import Interaction
from vinculo.sales.models import Order, OrderStatus
from vinculo.segments.rules.registry import Context, FieldDef
from vinculo.service.models import OPEN_STATUSES, Ticket, TicketType

NOTHING = Q(pk__in=[])

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le,
    "gt": operator.gt, "gte": operator.ge,
}


def lookup_q(path: str, op: str, value: Any, ctx: Context, *, text: bool = False,
             datetime: bool = False) -> Q:
    """``path op value`` as a ``Q``: the plain column case every simple field shares."""
    if datetime:
        path = f"{path}__date"
    if op == "eq":
        return Q(**{path: value})
    if op == "ne":
        return ~Q(**{path: value})
    if op in ("lt", "lte", "gt", "gte"):
        return Q(**{f"{path}__{op}": value})
    if op == "between":
        return Q(**{f"{path}__gte": value[0], f"{path}__lte": value[1]})
    if op == "in":
        return Q(**{f"{path}__in": value})
    if op == "not_in":
        return ~Q(**{f"{path}__in": value})
    if op == "contains":
        return Q(**{f"{path}__icontains": value})
    if op in ("empty", "not_empty"):
        empty = Q(**{f"{path}__isnull": True})
        if text:
            empty |= Q(**{path: ""})
        return empty if op == "empty" else ~empty
    if op == "in_last_days":
        return Q(**{f"{path}__gte": ctx.today - dt.timedelta(days=value)})
    if op == "before_last_days":
        return Q(**{f"{path}__lt": ctx.today - dt.timedelta(days=value)})
    raise ValueError(op)


def _value_holds(op: str, value: Any, candidate: Any) -> bool:
    """Whether ``candidate`` (0 for a customer without rows) satisfies the condition."""
    if op == "between":
        return bool(value[0] <= candidate <= value[1])
    return _COMPARE[op](candidate, value) if op in _COMPARE else False


def _count_decided(op: str, value: Any) -> bool | None:
    """Whether a condition on a count of rows holds for every count from 1 up (True), for
    none of them (False), or depends on the count (None). Decided, it needs no count at all:
    "at least 1" is "has a row", "0" and "fewer than 1" are "has no row"."""
    if op in ("gte", "gt"):
        return True if (value <= 1 if op == "gte" else value < 1) else None
    if op in ("lt", "lte"):
        return False if (value <= 1 if op == "lt" else value < 1) else None
    if op in ("eq", "ne"):
        if value >= 1 and value == math.floor(value):
            return None  # some count equals it
        return op == "ne"  # no count equals it: "ne" holds for every count, "eq" for none
    if op == "between":
        return False if max(1, math.ceil(value[0])) > math.floor(value[1]) else None
    return None


def aggregate_q(rows: QuerySet, key: str, aggregate: Any, op: str, value: Any, ctx: Context,
                *, zero: Any = None) -> Q:
    """A condition on an aggregate of ``rows`` per customer (``key`` the customer's column):
    ``pk IN (SELECT key … GROUP BY key HAVING agg op value)``. Customers without rows have the
    value ``zero`` (0 for counts and sums; no value for a latest date). A count condition that
    only asks whether rows exist ("orders ≥ 1", "orders = 0") is ``pk IN (SELECT key …)`` or
    its negation, without the ``GROUP BY``: the database stops at each customer's first row
    (a semi-join) instead of counting all of them."""
    rows = rows.filter(**{f"{key}__isnull": False})
    having_rows = Q(pk__in=rows.values(key))
    if op in ("empty", "not_empty"):
        return ~having_rows if op == "empty" else having_rows
    decided = _count_decided(op, value) if isinstance(aggregate, Count) else None
    if decided is not None:
        without_rows = zero is not None and _value_holds(op, value, zero)
        if decided and not without_rows:
            return having_rows
        if not decided:
            return ~having_rows if without_rows else NOTHING
    grouped = rows.order_by().values(key).annotate(_v=aggregate)
    q = Q(pk__in=grouped.filter(lookup_q("_v", op, value, ctx)).values(key))
    if zero is not None and op in (*_COMPARE, "between") and _value_holds(op, value, zero):
        q |= ~having_rows
    return q


def _column(name: str, model: type, column: str, type_: str, base: str, group: Any, *,
            choices: Any = None, label: Any = None) -> FieldDef:
    model_field = model._meta.get_field(column)
    is_text = type_ in ("text", "choice")
    is_datetime = model_field.get_internal_type() == "DateTimeField"

    def build(op: str, value: Any, ctx: Context) -> Q:
        return lookup_q(column, op, value, ctx, text=is_text, datetime=is_datetime)

    return FieldDef(name=name, label=label or model_field.verbose_name, group=group,
                    type=type_, base=base, build=build,
                    choices=(lambda: list(choices)) if choices is not None else None)


def _own_fields() -> Iterator[FieldDef]:
    account, contact = _("Account"), _("Contact")
    yield _column("account.name", Account, "name", "text", "account", account)
    yield _column("account.industry", Account, "industry", "text", "account", account)
    yield _column("account.size", Account, "size", "choice", "account", account,
                  choices=CompanySize.choices)
    yield _column("account.is_person", Account, "is_person", "boolean", "account", account)
    yield _column("account.billing_country", Account, "billing_country", "text", "account",
                  account)
    yield _column("account.billing_city", Account, "billing_city", "text", "account", account)
    yield _column("account.lifecycle_stage", Account, "lifecycle_stage", "choice", "account",
                  account, choices=LifecycleStage.choices)
    yield _column("account.source", Account, "source", "choice", "account", account,
                  choices=SourceChannel.choices)
    yield _column("account.service_tier", Account, "service_tier", "choice", "account",
                  account, choices=ServiceTier.choices)
    yield _column("account.created_at", Account, "created_at", "date", "account", account)
    yield _column("contact.full_name", Contact, "full_name", "text", "contact", contact)
    yield _column("contact.email", Contact, "email", "text", "contact", contact)
    yield _column("contact.title", Contact, "title", "text", "contact", contact)
    yield _column("contact.lifecycle_stage", Contact, "lifecycle_stage", "choice", "contact",
                  contact, choices=LifecycleStage.choices)
    yield _column("contact.source", Contact, "source", "choice", "contact", contact,
                  choices=SourceChannel.choices)
    yield _column("contact.preferred_channel", Contact, "preferred_channel", "choice",
                  "contact", contact, choices=Channel.choices)
    yield _column("contact.created_at", Contact, "created_at", "date", "contact", contact)


def _people_fields(organization_id: int) -> Iterator[FieldDef]:
    def users() -> list[tuple[str, Any]]:
        return [(str(u), name or email) for u, name, email in User.objects.filter(
            organization_id=organization_id, is_active=True).order_by("first_name", "email")
            .values_list("uuid", "first_name", "email")]

    def teams() -> list[tuple[str, Any]]:
        return [(str(u), n) for u, n in Team.all_objects.filter(
            organization_id=organization_id).order_by("name").values_list("uuid", "name")]

    def tags() -> list[tuple[str, Any]]:
        return [(n, n) for n in Tag.all_objects.filter(organization_id=organization_id)
                .order_by("name").values_list("name", flat=True)]

    for base, model, group in (("account", Account, _("Account")),
                               ("contact", Contact, _("Contact"))):
        yield FieldDef(name=f"{base}.owner", label=_("owner"), group=group, type="user",
                       base=base, choices=users, build=_reference("owner"))
        yield FieldDef(name=f"{base}.team", label=_("team"), group=group, type="team",
                       base=base, choices=teams, build=_reference("team"))
        yield FieldDef(name=f"{base}.tags", label=_("tags"), group=group, type="tags",
                       base=base, choices=tags, build=_tags(model, base, organization_id))


def _reference(column: str) -> Callable[[str, Any, Context], Q]:
    def build(op: str, value: Any, ctx: Context) -> Q:
        if op in ("empty", "not_empty"):
            return lookup_q(column, op, value, ctx)
        values = value if isinstance(value, list) else [value]
        q = Q(**{f"{column}__uuid__in": values})
        return ~q if op in ("ne", "not_in") else q
    return build


def _tags(model: type, base: str, organization_id: int) -> Callable[[str, Any, Context], Q]:
    through = model.tags.through  # type: ignore[attr-defined]

    def build(op: str, value: Any, ctx: Context) -> Q:
        rows = through.objects.filter(organization_id=organization_id)
        if op in ("in", "not_in"):
            rows = rows.filter(tag__name__in=value)
        q = Q(pk__in=rows.values(f"{base}_id"))
        return q if op in ("in", "not_empty") else ~q
    return build


def _custom_fields(organization_id: int) -> Iterator[FieldDef]:
    kinds = {CustomFieldType.TEXT: "text", CustomFieldType.NUMBER: "number",
             CustomFieldType.DECIMAL: "number", CustomFieldType.DATE: "date",
             CustomFieldType.BOOLEAN: "boolean", CustomFieldType.CHOICE: "choice",
             CustomFieldType.MULTI_CHOICE: "tags"}
    definitions = CustomField.all_objects.filter(
        organization_id=organization_id, model__in=("account", "contact"))
    for cf in definitions.order_by("model", "order", "key"):
        type_ = kinds[CustomFieldType(cf.type)]
        options = [(c, c) for c in (cf.choices or [])]
        yield FieldDef(name=f"{cf.model}.custom.{cf.key}", label=cf.label,
                       group=_("Account") if cf.model == "account" else _("Contact"),
                       type=type_, base=cf.model,
                       build=_custom(cf.key, type_, Account if cf.model == "account" else Contact),
                       choices=(lambda options=options: options) if options else None)


def _custom(key: str, type_: str, model: Any) -> Callable[[str, Any, Context], Q]:
    path = f"custom_fields__{key}"

    def build(op: str, value: Any, ctx: Context) -> Q:
        if type_ == "tags":  # a JSON list: "has any of"
            any_of = Q()
            for item in value or []:
                any_of |= Q(**{f"{path}__icontains": f'"{item}"'})
            if op in ("empty", "not_empty"):
                empty = Q(**{f"{path}__isnull": True}) | Q(**{path: []})
                return empty if op == "empty" else ~empty
            return any_of if op == "in" else ~any_of
        if op in ("empty", "not_empty"):
            empty = Q(**{f"{path}__isnull": True}) | Q(**{path: ""})
            return empty if op == "empty" else ~empty
        if type_ == "number":  # the JSON value as a number (decimals are stored as text)
            numbers = model.all_objects.filter(organization_id=ctx.organization_id).alias(
                _cf=Cast(KT(path), FloatField()))
            value = ([float(v) for v in value] if isinstance(value, list) else float(value))
            return Q(pk__in=numbers.filter(lookup_q("_cf", op, value, ctx)).values("pk"))
        if type_ == "date":
            value = ([v.isoformat() for v in value] if isinstance(value, list)
                     else value.isoformat() if isinstance(value, dt.date) else value)
            if op in ("in_last_days", "before_last_days"):
                cutoff = (ctx.today - dt.timedelta(days=value)).isoformat()
                return Q(**{f"{path}__gte" if op == "in_last_days" else f"{path}__lt": cutoff})
        return lookup_q(path, op, value, ctx)
    return build


def _consent_fields() -> Iterator[FieldDef]:
    for channel, label in Channel.choices:
        def build(op: str, value: Any, ctx: Context, channel: str = channel) -> Q:
            granted = Q(pk__in=Consent.all_objects.filter(
                organization_id=ctx.organization_id, channel=channel, granted=True)
                .values("contact_id"))
            return granted if bool(value) else ~granted
        yield FieldDef(name=f"consent.{channel}", label=label, group=_("Consent"),
                       type="boolean", base="contact", build=build,
                       help=_("Yes: the contact agreed to be reached on this channel."))


def latest_snapshot_date(ctx: Context) -> dt.date | None:
    """The date of the organisation's latest finished analytics run (read once per rule)."""
    if "as_of" not in ctx.cache:
        ctx.cache["as_of"] = (AnalyticsRun.all_objects
                              .filter(organization_id=ctx.organization_id,
                                      status=RunStatus.DONE)
                              .order_by("-as_of").values_list("as_of", flat=True).first())
    return ctx.cache["as_of"]


def _analytics_fields() -> Iterator[FieldDef]:
    group = _("Analytics (latest snapshot)")
    numbers = ("r_score", "f_score", "m_score", "p_alive", "expected_purchases", "clv",
               "revenue", "cost_to_serve", "profit", "recency_days", "frequency", "monetary")
    labelled = {"rfm_segment": [n for n in SEGMENT_LABELS if n not in (*VALUE_TIERS,
                                                                        *PROFIT_SEGMENTS)],
                "profit_segment": list(PROFIT_SEGMENTS), "value_tier": list(VALUE_TIERS)}
    for column in numbers + tuple(labelled) + ("last_purchase",):
        model_field = CustomerSnapshot._meta.get_field(column)
        type_ = ("choice" if column in labelled else "date" if column == "last_purchase"
                 else "number")
        names = labelled.get(column)
        yield FieldDef(
            name=f"analytics.{column}", label=model_field.verbose_name, group=group,
            type=type_, base="account", build=_snapshot(column, type_),
            choices=(lambda names=names: [(n, SEGMENT_LABELS[n]) for n in names])
            if names else None)


def _snapshot(column: str, type_: str) -> Callable[[str, Any, Context], Q]:
    def build(op: str, value: Any, ctx: Context) -> Q:
        as_of = latest_snapshot_date(ctx)
        if as_of is None:  # no finished run yet: no account has these values
            return Q() if op == "empty" else NOTHING
        rows = CustomerSnapshot.all_objects.filter(organization_id=ctx.organization_id,
                                                   as_of=as_of)
        if op in ("empty", "not_empty"):
            having = Q(pk__in=rows.filter(**{f"{column}__isnull": False}).values("account_id"))
            return ~having if op == "empty" else having
        return Q(pk__in=rows.filter(lookup_q(column, op, value, ctx, text=type_ == "choice"))
                 .values("account_id"))
    return build


def _orders(ctx: Context, *, days: int | None = None) -> QuerySet:
    rows = Order.all_objects.filter(organization_id=ctx.organization_id).exclude(
        status=OrderStatus.CANCELLED)
    if days is not None:
        rows = rows.filter(ordered_on__gt=ctx.today - dt.timedelta(days=days))
    return rows


def _activity_fields() -> Iterator[FieldDef]:
    group = _("Activity")
    period = _("Set the period in days (365 when left out).")

    def last_order(op: str, value: Any, ctx: Context) -> Q:
        return aggregate_q(_orders(ctx), "account_id", Max("ordered_on"), op, value, ctx)

    def orders(op: str, value: Any, ctx: Context) -> Q:
        return aggregate_q(_orders(ctx, days=ctx.params.get("days", 365)), "account_id",
                           Count("id"), op, value, ctx, zero=0)

    def revenue(op: str, value: Any, ctx: Context) -> Q:
        return aggregate_q(_orders(ctx, days=ctx.params.get("days", 365)), "account_id",
                           Sum("net_amount"), op, value, ctx, zero=Decimal(0))

    def open_tickets(op: str, value: Any, ctx: Context) -> Q:
        rows = Ticket.all_objects.filter(organization_id=ctx.organization_id,
                                         status__in=OPEN_STATUSES)
        return aggregate_q(rows, "account_id", Count("id"), op, value, ctx, zero=0)

    def complaints(op: str, value: Any, ctx: Context) -> Q:
        days = ctx.params.get("days", 365)
        since = timezone.make_aware(
            dt.datetime.combine(ctx.today - dt.timedelta(days=days), dt.time.max))
        rows = Ticket.all_objects.filter(organization_id=ctx.organization_id,
                                         type=TicketType.COMPLAINT, created_at__gt=since)
        return aggregate_q(rows, "account_id", Count("id"), op, value, ctx, zero=0)

    yield FieldDef(name="activity.last_order", label=_("last order date"), group=group,
                   type="date", base="account", build=last_order)
    yield FieldDef(name="activity.orders", label=_("orders in the period"), group=group,
                   type="number", base="account", build=orders, params=("days",), help=period)
    yield FieldDef(name="activity.revenue", label=_("revenue in the period (net)"),
                   group=group, type="number", base="account", build=revenue,
                   params=("days",), help=period)
    yield FieldDef(name="activity.open_tickets", label=_("open tickets"), group=group,
                   type="number", base="account", build=open_tickets)
    yield FieldDef(name="activity.complaints", label=_("complaints in the period"),
                   group=group, type="number", base="account", build=complaints,
                   params=("days",), help=period)
    for channel, label in (("any", _("any channel")), *InteractionChannel.choices):
        def last_interaction(op: str, value: Any, ctx: Context, channel: str = channel) -> Q:
            rows = Interaction.all_objects.filter(organization_id=ctx.organization_id)
            if channel != "any":
                rows = rows.filter(channel=channel)
            when = Max("occurred_at__date")
            return aggregate_q(rows, "account_id", when, op, value, ctx)
        yield FieldDef(name=f"activity.last_interaction.{channel}",
                       label=_("last interaction: %(channel)s") % {"channel": label},
                       group=group, type="date", base="account", build=last_interaction)


def _segment_field(organization_id: int) -> FieldDef:
    from vinculo.segments.models import Segment

    def segments() -> list[tuple[str, Any]]:
        return [(str(u), n) for u, n in Segment.all_objects.filter(
            organization_id=organization_id).order_by("name").values_list("uuid", "name")]

    def build(op: str, value: Any, ctx: Context) -> Q:
        # Membership needs the referenced segment's own rule (and the cycle check), which only
        # the compiler holds: it compiles "segment" conditions itself and never calls this.
        raise RuntimeError("segment conditions are compiled by segments.rules.compiler")

    return FieldDef(name="segment", label=_("member of segment"), group=_("Segments"),
                    type="segment", base="any", build=build, choices=segments)


def fields(organization_id: int) -> list[FieldDef]:
    """The built-in fields (the extension point's first contribution)."""
    return [*_own_fields(), *_people_fields(organization_id), *_custom_fields(organization_id),
            *_consent_fields(), *_analytics_fields(), *_activity_fields(),
            _segment_field(organization_id)]
