"""Running the rules: on a domain event, on the periodic scan, after a recompute or a segment
refresh.

- **Event rules** fire once per published occurrence whose record passes the trigger's
  narrowing and whose account meets the conditions (a redelivered occurrence is dropped by the
  unique ``(rule, occurrence)`` of the log).
- **State rules** (an order due, an invoice overdue, a customer in a segment, an analytics
  condition) fire once per record per **episode**: when the condition starts holding an
  ``Episode`` opens and the rule fires; while it holds, later scans do nothing; when it stops
  holding the episode closes, and a new one may open later.
- **Loops**: while a rule's actions run, the chain of rules that led there is kept in a
  context variable; an in-transaction subscriber copies it onto every event the actions
  publish, so the rules that event wakes know their depth. A rule never fires again inside its
  own chain, and no chain goes deeper than ``MAX_DEPTH`` rules; the refusal is logged.
- Each action runs in its own savepoint: a failing action is logged with its error and
  neither undoes the others nor stops other rules.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from vinculo.automation.actions import RUN, ActionError
from vinculo.automation.checks import crossing
from vinculo.automation.models import (
    EVENT_TRIGGERS,
    SEGMENT_TRIGGERS,
    STATE_TRIGGERS,
    Episode,
    Firing,
    FiringStatus,
    Rule,
    TriggerKind,
)
from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus
from vinculo.core.audit import acting_as
from vinculo.core.events import Occurrence
from vinculo.core.models import Organization
from vinculo.core.services import PermissionDeniedError
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account
from vinculo.sales.models import Opportunity, OpportunityStatus, Order, OrderStatus
from vinculo.segments import rules as segment_rules
from vinculo.segments.models import SegmentMember, Subject

log = logging.getLogger(__name__)

#: The longest chain of rules one change can set off (a rule whose action wakes another…).
MAX_DEPTH = 3

Chain = tuple[int, ...]  # the rules (pk) whose actions led here, outermost first
_chain: ContextVar[Chain] = ContextVar("vinculo_automation_chain", default=())
#: occurrence id -> the chain it was published in (set in the transaction, read after it).
_pending: dict[Any, Chain] = {}
_PENDING_LIMIT = 10_000


def record_key(record: Any) -> str:
    return f"{record._meta.label_lower}:{record.uuid}"


def account_of(record: Any) -> Account | None:
    if isinstance(record, Account):
        return record
    return getattr(record, "account", None)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
    if isinstance(exc, PermissionDeniedError):
        return _("Not allowed: %(error)s") % {"error": exc}
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, ActionError) else str(exc)


def fire(rule: Rule, record: Any, *, trigger: str, chain: Chain = (),
         occurrence: Any = None) -> Firing | None:
    """Run the rule's actions on ``record`` and log what each did; None when the event was
    already handled (a redelivery)."""
    account = account_of(record)
    base = {"organization_id": rule.organization_id, "rule": rule, "trigger": trigger,
            "record_type": record._meta.label_lower, "record_uuid": getattr(record, "uuid", None),
            "record_label": str(record)[:200], "occurrence": occurrence, "depth": len(chain)}
    if rule.pk in chain or len(chain) >= MAX_DEPTH:
        reason = (_("The rule's own action triggered it again; not run.") if rule.pk in chain
                  else _("More than %(n)d rules in a chain; not run.") % {"n": MAX_DEPTH})
        return _log(base, FiringStatus.SKIPPED, [{"action": "", "ok": False, "detail": reason}])
    # The log row first: a redelivered occurrence stops here, before any action runs.
    firing = _log(base, FiringStatus.FAILED, [])
    if firing is None:
        return None
    results: list[dict[str, Any]] = []
    token = _chain.set((*chain, rule.pk))
    try:
        with acting_as(rule.run_as), override(rule.organization.language or "es"):
            for action in rule.actions:
                try:
                    with transaction.atomic():
                        detail = RUN[action["type"]](rule, action, record, account)
                    results.append({"action": action["type"], "ok": True, "detail": detail})
                except Exception as exc:  # logged on the firing; the next action still runs
                    if not isinstance(exc, ActionError | ValidationError | PermissionDeniedError):
                        log.exception("rule %s action %s failed", rule.uuid, action["type"])
                    results.append({"action": action["type"], "ok": False,
                                    "detail": _error_text(exc)})
    finally:
        _chain.reset(token)
    ok = sum(1 for r in results if r["ok"])
    firing.status = (FiringStatus.DONE if ok == len(results) else
                     FiringStatus.FAILED if ok == 0 else FiringStatus.PARTIAL)
    firing.results = results
    Firing.all_objects.filter(pk=firing.pk).update(status=firing.status, results=results)
    return firing


def _log(base: dict[str, Any], status: str, results: list[dict[str, Any]]) -> Firing | None:
    try:
        with transaction.atomic():
            return Firing.all_objects.create(status=status, results=results, **base)
    except IntegrityError:  # the same occurrence delivered twice
        return None


def _conditions_met(rule: Rule, account: Account | None) -> bool:
    if not rule.conditions:
        return True
    if account is None:
        return False
    return _matching(rule).filter(pk=account.pk).exists()


def _matching(rule: Rule) -> QuerySet[Account]:
    checked = segment_rules.check(rule.conditions, subject=Subject.ACCOUNTS,
                                  organization_id=rule.organization_id)
    return segment_rules.matching(checked, subject=Subject.ACCOUNTS,
                                  organization_id=rule.organization_id)


def _passes(rule: Rule, record: Any, data: dict[str, Any] | None = None) -> bool:
    """The record passes the trigger's narrowing; a crossing rule needs the value to cross
    its threshold in this change, a delivery rule a late or short delivery."""
    if rule.kind == TriggerKind.FIELD_CROSSES:
        return crossed(rule.trigger, data or {})
    if rule.kind == TriggerKind.DELIVERY_EXCEPTION:
        data = data or {}
        return bool((rule.trigger.get("late") and (data.get("days_late") or 0) > 0)
                    or (rule.trigger.get("short") and data.get("short")))
    narrowed = rule.trigger.get("record") or {}
    return all(getattr(record, name, None) in values for name, values in narrowed.items())


def _number(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def crossed(trigger: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether the change the event carries (``data["changes"][key] == [before, after]``)
    takes the field across the threshold: "above" from below it to at least it, "below" from
    at least it to under it. A change that stays on one side fires nothing; so does an event
    without the values (published before they were carried)."""
    key = (crossing(trigger.get("field")) or ("", ""))[1]
    pair = (data.get("changes") or {}).get(key)
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return False
    before, after = _number(pair[0]), _number(pair[1])
    threshold = _number(trigger.get("value"))
    if after is None or threshold is None:
        return False
    if trigger.get("direction") == "above":
        return after >= threshold and (before is None or before < threshold)
    return after < threshold and before is not None and before >= threshold


# ---- events ----------------------------------------------------------------------------------


def event_capture(occurrence: Occurrence) -> None:
    """In-transaction subscriber: remember the chain of rules an event was published in."""
    chain = _chain.get()
    if chain:
        if len(_pending) > _PENDING_LIMIT:  # entries of rolled-back transactions
            _pending.clear()
        _pending[occurrence.id] = chain


def event_received(occurrence: Occurrence) -> int:
    """After-commit subscriber: fire the organisation's rules on this event; returns how many
    fired."""
    chain = _pending.pop(occurrence.id, ()) or _chain.get()
    if occurrence.organization_id is None:
        return 0
    fired = 0
    with organization_scope(occurrence.organization_id):
        rules = list(Rule.objects.filter(active=True, kind__in=EVENT_TRIGGERS,
                                         event=occurrence.name)
                     .select_related("run_as", "organization"))
        if not rules:
            return 0
        record = type(occurrence.record)._default_manager.filter(
            pk=occurrence.record.pk).first()
        if record is None:
            return 0
        for rule in rules:
            try:
                if _passes(rule, record, occurrence.data) and _conditions_met(
                        rule, account_of(record)):
                    fired += fire(rule, record, trigger=occurrence.name, chain=chain,
                                  occurrence=occurrence.id) is not None
            except Exception:  # one broken rule never stops the others
                log.exception("rule %s failed on %s", rule.uuid, occurrence.name)
    return fired


# ---- states: scheduled checks, recomputes, segment refreshes -----------------------------------


def candidates(rule: Rule, *, today: dt.date) -> QuerySet:
    """The records for which the rule's state trigger and conditions hold now."""
    trigger = rule.trigger
    kind = rule.kind
    qs: QuerySet
    if kind == TriggerKind.ORDER_DUE:
        qs = Order.all_objects.filter(
            organization_id=rule.organization_id,
            status__in=(OrderStatus.OPEN, OrderStatus.PARTIALLY_DELIVERED),
            promised_date__lte=today + dt.timedelta(days=trigger["days"]))
    elif kind == TriggerKind.INVOICE_OVERDUE:
        qs = Invoice.all_objects.filter(
            organization_id=rule.organization_id, kind=InvoiceKind.INVOICE,
            status=InvoiceStatus.ISSUED,
            due_date__lte=today - dt.timedelta(days=trigger["days"]))
    elif kind == TriggerKind.SEGMENT_ENTERED:
        qs = Account.all_objects.filter(
            organization_id=rule.organization_id, active=True,
            segment_memberships__segment__uuid=trigger["segment"],
            segment_memberships__left_at__isnull=True)
    elif kind == TriggerKind.SEGMENT_LEFT:
        # Out of the segment after a stay that ended since the rule exists (not everyone who
        # ever left): the episode lasts until they come back.
        stays = SegmentMember.all_objects.filter(organization_id=rule.organization_id,
                                                 segment__uuid=trigger["segment"],
                                                 account__isnull=False)
        qs = Account.all_objects.filter(
            organization_id=rule.organization_id, active=True,
            pk__in=stays.filter(left_at__gte=rule.created_at).values("account_id")).exclude(
            pk__in=stays.filter(left_at__isnull=True).values("account_id"))
    elif kind == TriggerKind.DATE_RELATIVE:
        qs = _dated(rule, today)
    else:
        qs = Account.all_objects.filter(organization_id=rule.organization_id, active=True)
    if rule.conditions:
        matched = _matching(rule).values("pk")
        key = "pk__in" if qs.model is Account else "account_id__in"
        qs = qs.filter(**{key: matched})
    return qs


#: How long after its day a "date relative to a field" still fires (a scheduler that was down
#: catches up), and no further back: a new rule does not act on last year's orders.
DATE_GRACE_DAYS = 7


def _dated(rule: Rule, today: dt.date) -> QuerySet:
    """The open records whose date, moved by the rule's days, falls on today (or in the few
    days of grace before it): "3 days before the promised date" holds from three days before
    until the date itself."""
    trigger = rule.trigger
    model, name = trigger["field"].split(".")
    qs: QuerySet
    if model == "order":
        qs = Order.all_objects.filter(status__in=(OrderStatus.OPEN,
                                                  OrderStatus.PARTIALLY_DELIVERED))
    elif model == "invoice":
        qs = Invoice.all_objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
    else:
        qs = Opportunity.all_objects.filter(status=OpportunityStatus.OPEN)
    days = dt.timedelta(days=trigger["days"])
    grace = dt.timedelta(days=DATE_GRACE_DAYS)
    if trigger.get("when") == "after":  # the date was `days` ago (within the grace)
        window = (today - days - grace, today - days)
    else:  # the date is `days` ahead or nearer, not yet past
        window = (today, today + days)
    return qs.filter(organization_id=rule.organization_id,
                     **{f"{name}__range": window})


def _episode_key(rule: Rule, record: Any) -> str:
    """One episode per record, and for a date trigger per record *and date*: a promised date
    moved later is a new date, warned about again."""
    key = record_key(record)
    if rule.kind == TriggerKind.DATE_RELATIVE:
        value = getattr(record, rule.trigger["field"].split(".")[1], None)
        key = f"{key}@{value.isoformat() if value else ''}"
    return key


def evaluate(rule: Rule, *, today: dt.date | None = None) -> int:
    """Open an episode (and fire) for each record newly meeting the rule, close the episodes
    of those that no longer do; returns how many fired."""
    today = today or timezone.localdate()
    qs = candidates(rule, today=today)
    label = qs.model._meta.label_lower
    if rule.kind == TriggerKind.DATE_RELATIVE:
        name = rule.trigger["field"].split(".")[1]
        now_matching = {f"{label}:{uuid}@{day.isoformat()}": pk
                        for pk, uuid, day in qs.values_list("pk", "uuid", name)}
    else:
        now_matching = {f"{label}:{uuid}": pk for pk, uuid in qs.values_list("pk", "uuid")}
    open_keys = set(Episode.all_objects.filter(rule=rule, closed_at__isnull=True)
                    .values_list("record_key", flat=True))
    gone = open_keys - set(now_matching)
    if gone:
        Episode.all_objects.filter(rule=rule, closed_at__isnull=True,
                                   record_key__in=gone).update(closed_at=timezone.now())
    new = [pk for key, pk in now_matching.items() if key not in open_keys]
    fired = 0
    related = ("account__owner",) if qs.model is not Account else ("owner",)
    # Opened, and fired, in the order of the query's keys (the records' dates).
    for record in qs.model.all_objects.filter(pk__in=new).select_related(*related):
        try:
            with transaction.atomic():
                Episode.all_objects.create(organization_id=rule.organization_id, rule=rule,
                                           record_key=_episode_key(rule, record))
        except IntegrityError:  # another scan opened it first
            continue
        fired += fire(rule, record, trigger=rule.kind, chain=_chain.get()) is not None
    return fired


def evaluate_all(organization: Organization, *, kinds: tuple[str, ...] = STATE_TRIGGERS,
                 segment: str | None = None, today: dt.date | None = None) -> int:
    """Every active state rule of the organisation of the given kinds; a rule that fails is
    logged and the others still run."""
    fired = 0
    with organization_scope(organization):
        rules = Rule.objects.filter(active=True, kind__in=kinds).select_related(
            "run_as", "organization")
        for rule in rules:
            if segment is not None and rule.trigger.get("segment") != segment:
                continue
            try:
                fired += evaluate(rule, today=today)
            except Exception:
                log.exception("rule %s could not be evaluated", rule.uuid)
    return fired


def snapshot_recomputed(occurrence: Occurrence) -> None:
    """Subscriber of ``snapshot.recomputed``: P(alive), CLV and tiers changed."""
    if occurrence.organization_id is not None:
        evaluate_all(Organization.objects.get(pk=occurrence.organization_id),
                     kinds=(TriggerKind.ANALYTICS,))


def segment_refreshed(occurrence: Occurrence) -> None:
    """Subscriber of ``segment.refreshed``: customers who entered or left the segment."""
    if occurrence.organization_id is not None:
        evaluate_all(Organization.objects.get(pk=occurrence.organization_id),
                     kinds=SEGMENT_TRIGGERS,
                     segment=occurrence.data.get("segment"))
