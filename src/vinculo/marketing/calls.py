"""The phone and visit channels: a call (or visit) list whose lines are tasks on people's
agendas, and the outcome logged as an interaction on the contact's timeline.

``deliver(campaign)`` gives every pending recipient a ``CallAssignment`` and a task
(interactions' ``task_create``) for **the account's owner**; a recipient whose account has no
active owner goes to **the agent queue**: the active members of the campaign owner's team whose
role may work call lists (``marketing.calls``), taken in turn (round-robin by user id,
continuing where the campaign's previous run stopped), or the campaign's owner when the team
has nobody else. The task carries the campaign (its related record), the contact and account,
the due date (the campaign's end date at 18:00, or a week from now) and the script: the
variant's body with its merge fields filled.

``call_outcome_log`` records what happened (reached, no answer, interested, not interested,
call back): an outbound phone call or visit on the contact's timeline (interactions'
``interaction_log``, about the campaign), the task closed (a *call back* opens a new task for
the next working day), and the recipient marked ``sent`` with the outcome kept on its line.
"""

from __future__ import annotations

import datetime as dt
from itertools import cycle
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import User
from vinculo.core.roles import role_has
from vinculo.core.services import require
from vinculo.interactions.agenda.services import task_complete, task_create
from vinculo.interactions.merge_fields import render_merge
from vinculo.interactions.models import Outcome, TaskStatus
from vinculo.interactions.services import interaction_log, primary_account
from vinculo.marketing.models import (
    CallAssignment,
    CallOutcome,
    Campaign,
    CampaignChannel,
    CampaignRecipient,
    CampaignVariant,
    RecipientStatus,
)

#: The campaign outcome -> the outcome the interaction is logged with.
INTERACTION_OUTCOME = {
    CallOutcome.REACHED: Outcome.COMPLETED,
    CallOutcome.NO_ANSWER: Outcome.NO_ANSWER,
    CallOutcome.INTERESTED: Outcome.COMPLETED,
    CallOutcome.NOT_INTERESTED: Outcome.NOT_INTERESTED,
    CallOutcome.CALLBACK: Outcome.FOLLOW_UP,
}


def agent_queue(campaign: Campaign) -> list[User]:
    """Who takes the lines of accounts without an owner, in turn (see the module)."""
    owner = campaign.owner
    if owner is None or not owner.is_active:
        raise ValidationError(_("The campaign needs an active owner: the calls of accounts "
                                "without an owner go to the owner's team."))
    members: list[User] = []
    if owner.team_id:
        members = [user for user in User.objects.filter(
            organization_id=campaign.organization_id, team_id=owner.team_id, is_active=True,
        ).order_by("id") if role_has(user.role, "marketing.calls")]
    return members or [owner]


def _due(campaign: Campaign) -> dt.datetime:
    if campaign.ends_on and campaign.ends_on >= timezone.localdate():
        return timezone.make_aware(dt.datetime.combine(campaign.ends_on, dt.time(18)))
    return timezone.now() + dt.timedelta(days=7)


@transaction.atomic
def deliver(campaign: Campaign) -> int:
    """Put every pending recipient without a line on the call or visit list; returns how
    many lines were made. Running it again makes lines only for recipients added since."""
    campaign = Campaign.objects.select_related("organization", "owner").get(pk=campaign.pk)
    queue = agent_queue(campaign)
    # Lines the queue took before (those not given to their account's owner): resume the turn.
    taken = CallAssignment.objects.filter(campaign=campaign).filter(
        Q(account__isnull=True) | Q(account__owner__isnull=True)
        | ~Q(assignee_id=F("account__owner_id"))).count()
    turn = cycle(queue[taken % len(queue):] + queue[:taken % len(queue)])
    variants: dict[int | None, CampaignVariant] = {
        v.pk: v for v in CampaignVariant.objects.filter(campaign=campaign)}
    fallback = min(variants.values(), key=lambda v: v.name) if variants else None
    visit = campaign.channel == CampaignChannel.VISIT
    recipients = (CampaignRecipient.objects.filter(
        campaign=campaign, status=RecipientStatus.PENDING, call__isnull=True)
        .select_related("contact", "account__owner").order_by("id"))
    due = _due(campaign)
    made = 0
    for recipient in recipients:
        contact = recipient.contact
        account = recipient.account or primary_account(contact)
        owner = account.owner if account is not None and account.owner_id else None
        assignee = owner if owner is not None and owner.is_active else next(turn)
        actor = campaign.owner if campaign.owner and campaign.owner.is_active else assignee
        variant = variants.get(recipient.variant_id) or fallback
        script = render_merge(variant.body, {
            "contact": contact, "account": account, "user": assignee,
            "organization": campaign.organization}) if variant else ""
        title = (_("Visit %(contact)s: %(campaign)s") if visit
                 else _("Call %(contact)s: %(campaign)s")) % {
            "contact": contact.full_name or contact.email, "campaign": campaign.name}
        task = task_create(actor=actor, data={
            "title": title[:200], "notes": script[:TEXT_MAX_LENGTH], "assignee": assignee,
            "due_at": due, "account": account, "contact": contact}, related=campaign)
        CallAssignment.objects.create(
            organization_id=campaign.organization_id, campaign=campaign, recipient=recipient,
            contact=contact, account=account, assignee=assignee, task=task)
        made += 1
    return made


@transaction.atomic
def call_outcome_log(*, actor: User, call: CallAssignment, outcome: str,
                     notes: str = "") -> CallAssignment:
    """Log what came of a call or visit (see the module); a line is logged once."""
    require(actor, "marketing.calls")
    if not CallAssignment.objects.restrict(actor).filter(pk=call.pk).exists():
        raise ValidationError(_("Not found."))
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": _("Choose what came of it.")})
    notes = (notes or "").strip()
    if len(notes) > TEXT_MAX_LENGTH:
        raise ValidationError({"notes": _("At most %(n)d characters.") % {"n": TEXT_MAX_LENGTH}})
    call = CallAssignment.objects.select_for_update(of=("self",)).select_related(
        "campaign", "task", "contact", "account").get(pk=call.pk)
    if call.outcome:
        raise ValidationError({"outcome": _("The outcome of this call was already logged.")})
    campaign = call.campaign
    label = CallOutcome(outcome).label
    interaction = interaction_log(actor=actor, data={
        "channel": "visit" if campaign.channel == CampaignChannel.VISIT else "phone",
        "direction": "outbound", "subject": f"{campaign.name}: {label}"[:300],
        "notes": notes, "outcome": INTERACTION_OUTCOME[CallOutcome(outcome)],
        "contact": call.contact, "account": call.account}, related=campaign)
    if call.task is not None and call.task.status == TaskStatus.OPEN:
        task_complete(actor=actor, task=call.task)
    if outcome == CallOutcome.CALLBACK:
        task_create(actor=actor, data={
            "title": (_("Call back %(contact)s: %(campaign)s") % {
                "contact": call.contact.full_name or call.contact.email,
                "campaign": campaign.name})[:200],
            "notes": notes, "assignee": call.assignee or actor,
            "due_at": timezone.now() + dt.timedelta(days=1), "account": call.account,
            "contact": call.contact}, related=campaign)
    now = timezone.now()
    call.outcome, call.outcome_at, call.interaction = outcome, now, interaction
    call.save(update_fields=["outcome", "outcome_at", "interaction", "updated_at"])
    CampaignRecipient.objects.filter(pk=call.recipient_id, sent_at__isnull=True).update(
        sent_at=now)
    CampaignRecipient.objects.filter(pk=call.recipient_id).update(status=RecipientStatus.SENT)
    return call


def call_list(user: User, campaign: Campaign) -> Any:
    """The lines of ``campaign`` that ``user`` may see (a representative: theirs)."""
    return (CallAssignment.objects.restrict(user).filter(campaign=campaign)
            .select_related("contact", "account", "assignee", "task").order_by(
                "outcome", "assignee_id", "id"))
