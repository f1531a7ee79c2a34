"""Business rules of the next-best action: refresh the suggestions from the rules, accept one
(a task, or enrolment in a campaign), dismiss one (with a reason), record the outcomes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events
from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.core.models import Organization, User
from vinculo.core.services import require
from vinculo.customers.models import Account, AccountContact, Contact
from vinculo.interactions.agenda.services import task_create
from vinculo.interactions.models import TaskStatus
from vinculo.marketing.actions import rules, selectors
from vinculo.marketing.actions.models import Suggestion, SuggestionOutcome, SuggestionStatus
from vinculo.marketing.models import Campaign, CampaignStatus
from vinculo.marketing.services import enrol
from vinculo.sales.models import Order, OrderStatus

#: A suggestion someone accepted or dismissed is not made again for this many days.
SNOOZE_DAYS = 30
#: Days an accepted task is given.
TASK_DUE_DAYS = 2
#: Campaigns a suggestion may enrol a customer in: not yet finished.
ENROLLING = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING)


@dataclass(frozen=True)
class RefreshResult:
    created: int
    expired: int
    open: int


@transaction.atomic
def suggestions_refresh(*, organization: Organization,
                        today: dt.date | None = None) -> RefreshResult:
    """Run the rules over the latest snapshot (system code, inside the organisation's scope):
    open a suggestion for each (account, rule) that fires and has none open nor decided in
    the last ``SNOOZE_DAYS`` days; expire the open ones whose rule no longer fires."""
    today = today or timezone.localdate()
    facts = selectors.candidate_facts(currency=organization.base_currency, today=today)
    fired = {(account_id, rule): action for account_id, account_facts in facts.items()
             for rule, action in rules.evaluate(account_facts)}
    open_rows = {(row.account_id, row.rule): row
                 for row in Suggestion.objects.filter(status=SuggestionStatus.OPEN)}
    stale = [row.pk for key, row in open_rows.items() if key not in fired]
    expired = Suggestion.objects.filter(pk__in=stale).update(
        status=SuggestionStatus.EXPIRED, updated_at=timezone.now()) if stale else 0
    snoozed = set(Suggestion.objects.filter(
        status__in=(SuggestionStatus.ACCEPTED, SuggestionStatus.DISMISSED),
        decided_at__gte=timezone.now() - dt.timedelta(days=SNOOZE_DAYS),
    ).values_list("account_id", "rule"))
    new = [Suggestion(organization_id=organization.pk, account_id=account_id, rule=rule,
                      action=action, facts=facts[account_id],
                      as_of=dt.date.fromisoformat(facts[account_id]["as_of"]))
           for (account_id, rule), action in fired.items()
           if (account_id, rule) not in open_rows and (account_id, rule) not in snoozed]
    Suggestion.objects.bulk_create(new, batch_size=1000)
    return RefreshResult(created=len(new), expired=expired,
                         open=len(open_rows) - len(stale) + len(new))


def snapshot_recomputed(occurrence: Any) -> None:
    """``snapshot.recomputed`` subscriber: new figures, new suggestions."""
    from vinculo.core.tenancy import organization_scope

    organization = Organization.objects.get(pk=occurrence.organization_id)
    with organization_scope(organization):
        suggestions_refresh(organization=organization)


def _lock_open(suggestion: Suggestion) -> Suggestion:
    row = Suggestion.objects.select_for_update(of=("self",)).select_related("account").get(
        pk=suggestion.pk)
    if row.status != SuggestionStatus.OPEN:
        raise ValidationError(_("This suggestion was already %(status)s.") % {
            "status": row.get_status_display().lower()})
    return row


def _visible(actor: User, suggestion: Suggestion) -> None:
    if not Suggestion.objects.restrict(actor).filter(pk=suggestion.pk).exists():
        raise ValidationError(_("Not found."))


def _enrol(suggestion: Suggestion, campaign: Campaign, contact: Contact | None) -> None:
    suggestion.contact = enrol(campaign, suggestion.account, contact).contact
    suggestion.campaign = campaign


@transaction.atomic
def suggestion_accept(*, actor: User, suggestion: Suggestion, campaign: Campaign | None = None,
                      contact: Contact | None = None) -> Suggestion:
    """Act on a suggestion: a task for the account's owner (the actor when it has none) due in
    ``TASK_DUE_DAYS`` days, with the reason in its notes; or, given a ``campaign`` that has
    not finished, the account's contact (the primary one unless ``contact`` is named) added
    to it as a pending recipient."""
    require(actor, "suggestions.change")
    _visible(actor, suggestion)
    suggestion = _lock_open(suggestion)
    account: Account = suggestion.account
    if campaign is not None:
        _enrol(suggestion, campaign, contact)
    else:
        if contact is not None and not AccountContact.objects.filter(
                account=account, contact=contact).exists():
            raise ValidationError({"contact": _("Choose a contact of the account.")})
        owner = account.owner if account.owner is not None and account.owner.is_active \
            else actor
        text = rules.reason(suggestion.rule, suggestion.action, suggestion.facts,
                            today=timezone.localdate())
        title = (_("Visit %(account)s") if suggestion.action == "visit"
                 else _("Call %(account)s")) % {"account": account.name}
        suggestion.task = task_create(actor=actor, data={
            "title": title[:200], "notes": text, "assignee": owner, "account": account,
            "contact": contact, "due_at": timezone.now() + dt.timedelta(days=TASK_DUE_DAYS)},
            related=suggestion)
        suggestion.contact = contact
    suggestion.status = SuggestionStatus.ACCEPTED
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.save()
    events.publish("suggestion.accepted", record=suggestion, actor=actor, data={
        "rule": suggestion.rule, "account": str(account.uuid),
        "task": str(suggestion.task.uuid) if suggestion.task else None,
        "campaign": str(campaign.uuid) if campaign else None})
    return suggestion


@transaction.atomic
def suggestion_dismiss(*, actor: User, suggestion: Suggestion, reason: str) -> Suggestion:
    """Set a suggestion aside; the reason is required, so the rule's authors learn from it."""
    require(actor, "suggestions.change")
    _visible(actor, suggestion)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you dismiss it.")})
    if len(reason) > SHORT_TEXT_MAX_LENGTH:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {
            "n": SHORT_TEXT_MAX_LENGTH}})
    suggestion = _lock_open(suggestion)
    suggestion.status = SuggestionStatus.DISMISSED
    suggestion.dismiss_reason = reason
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.save()
    events.publish("suggestion.dismissed", record=suggestion, actor=actor,
                   data={"rule": suggestion.rule, "reason": reason})
    return suggestion


def suggestion_outcomes_record(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Settle the accepted suggestions whose outcome is still open (system code, inside the
    organisation's scope): a hit when the account ordered (an order not cancelled) between the
    acceptance and ``HIT_DAYS`` days after the task was done (or after the enrolment); a miss
    when that window has passed, or the task was cancelled."""
    now = now or timezone.now()
    settled = {"hit": 0, "miss": 0}
    pending = Suggestion.objects.filter(status=SuggestionStatus.ACCEPTED,
                                        outcome=SuggestionOutcome.PENDING).select_related("task")
    for suggestion in pending.iterator(chunk_size=1000):
        task = suggestion.task
        assert suggestion.decided_at is not None
        if task is not None and task.status == TaskStatus.OPEN:
            continue
        if task is not None and task.status != TaskStatus.DONE:
            outcome = SuggestionOutcome.MISS
        else:
            start = timezone.localtime(suggestion.decided_at).date()
            done = task.completed_at if task is not None and task.completed_at else \
                suggestion.decided_at
            end = timezone.localtime(done).date() + dt.timedelta(days=rules.HIT_DAYS)
            ordered = Order.objects.filter(
                account_id=suggestion.account_id, ordered_on__gte=start, ordered_on__lte=end,
            ).exclude(status=OrderStatus.CANCELLED).exists()
            if ordered:
                outcome = SuggestionOutcome.HIT
            elif timezone.localtime(now).date() > end:
                outcome = SuggestionOutcome.MISS
            else:
                continue
        Suggestion.objects.filter(pk=suggestion.pk, outcome=SuggestionOutcome.PENDING).update(
            outcome=outcome, outcome_at=now)
        settled[outcome] += 1
    return settled
