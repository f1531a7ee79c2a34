"""Demo marketing: a finished e-mail campaign with its results, a call list being worked, a
web-form campaign collecting requests, a draft, and the next-best actions of the key
accounts — so the campaign, results, call-list, web-form and suggestion pages have something
true to show.

Runs after the segments generator (its segments are the audiences). Every step goes through the
services a user's click would run: ``campaign_create``/``campaign_start`` build the audience
from the segment (consent, suppressions, the control group drawn as in production),
``campaign_mark_sent``/``campaign_finish`` close it, ``order_create``/``delivery_create`` write
the orders that the campaign's attribution then finds, ``conversions_mark`` stores them,
``calls.deliver`` (through the start) makes the call list and ``call_outcome_log`` logs calls,
``web_form_submit`` sends the web-form campaign's submissions through its public form (the
campaign's key in the address, as its published link carries), ``suggestions_refresh`` runs
the next-best-action rules.

What the demo cannot do through a service is the passing of time: the e-mail campaign is
started today by the service and then moved 60 days into the past, and its messages' sending,
opening and clicking — which in production the background sender and the tracking links stamp
with *now* — are written as past instants by one ``UPDATE`` run over the recipients
(``_write``). The responses are drawn with fixed rates per variant (variant B's subject does
better) and the conversions with a higher rate for those who were sent the message than for
the control group, so the results page shows a positive lift and a return on the campaign's cost.
The web-form campaign started ``FORM_DAYS_AGO`` days ago: its start and its submissions are
moved back the same way, spread over those days.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from vinculo.billing.services import invoice_from_order, invoice_issue
from vinculo.catalog.models import Product
from vinculo.core.audit import acting_as
from vinculo.core.demo import DemoContext
from vinculo.core.models import User
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account, Contact
from vinculo.interactions.models import Interaction, WebForm, WebFormKind, WebFormSubmission
from vinculo.interactions.services import web_form_submit
from vinculo.marketing import calls, webforms
from vinculo.marketing.actions.services import suggestions_refresh
from vinculo.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignRecipient,
    CampaignVariant,
    RecipientStatus,
)
from vinculo.marketing.models_channels import CallAssignment, CallOutcome, CampaignSubmission
from vinculo.marketing.results.services import conversions_mark
from vinculo.marketing.services import (
    campaign_create,
    campaign_finish,
    campaign_mark_sent,
    campaign_start,
    campaign_variant_create,
    campaign_variant_update,
)
from vinculo.sales.documents.services import delivery_create, order_create
from vinculo.segments.models import Segment

#: Days ago the win-back e-mail was sent; its 30-day attribution window has closed.
SENT_DAYS_AGO = 60
#: Per variant: (open rate, click rate among the sent) — B's subject does better.
RESPONSE = {"A": (0.32, 0.07), "B": (0.41, 0.11)}
BOUNCE_RATE = 0.015
UNSUBSCRIBE_RATE = 0.004
#: Chance of ordering in the window: clicked, sent but did not click, held out (control).
CONVERT = {"clicked": 0.60, "sent": 0.12, "control": 0.015}
#: At most this many conversion orders (they go through the order service one by one).
MAX_CONVERSIONS = 300
#: The net amount of a conversion order is drawn between these (EUR).
ORDER_VALUE = (180.0, 650.0)
#: Calls of the running call list already logged, with their outcomes.
LOGGED_CALLS = (CallOutcome.INTERESTED, CallOutcome.NO_ANSWER, CallOutcome.CALLBACK)
#: The web-form campaign: started this many days ago; chance that an invited subscriber, a
#: held-out one, asks through the form; visitors who were not in the audience; at most this
#: many submissions (each goes through the public form's service).
FORM_DAYS_AGO = 12
FORM_RESPONSE = {"sent": 0.25, "control": 0.02}
FORM_VISITORS = 4
VISITORS = (("Irene Calvo", "irene.calvo@example.net"), ("Tom Baker", "tom.baker@example.net"),
            ("Lucía Ferrer", "lucia.ferrer@example.net"), ("Omar Haddad", "omar@example.net"))
MAX_SUBMISSIONS = 60
_BATCH = 1000
#: The win-back offer, put into the translated texts (a "%" inside them would read as a format).
OFFER = {"discount": "10 %"}


def estimate(customers: int) -> int:
    """Rows written for ``customers`` customers: roughly the e-mail campaign's audience."""
    return min(customers // 3, 20_000) // 2


def generate(ctx: DemoContext) -> dict[str, int]:
    segments = ctx.shared.get("segments") or {}
    if not segments:
        return {}
    org = ctx.organization
    counts: dict[str, int] = {}
    with organization_scope(org), acting_as(ctx.users["marketing"]), \
            override(org.language or "es"):
        by_key = {key: Segment.objects.get(pk=pk) for key, pk in segments.items()}
        counts.update(_email_campaign(ctx, by_key["lapsed"]))
        with acting_as(ctx.users["manager"]):  # the sales manager runs the call list
            counts.update(_call_list(ctx, by_key["call_list"]))
        counts.update(_web_form_campaign(ctx, by_key["subscribers"]))
        _draft(ctx, by_key["champions"])
        counts["campaigns"] = Campaign.objects.count()
        counts["suggested actions"] = suggestions_refresh(organization=org).open
    ctx.progress.update(counts.get("campaign recipients", 0))
    return counts


# ---- the finished e-mail campaign -------------------------------------------------------------


def _email_campaign(ctx: DemoContext, segment: Segment) -> dict[str, int]:
    if not segment.member_count:
        return {}
    actor = ctx.users["marketing"]
    today = ctx.now.date()
    sent_day = today - dt.timedelta(days=SENT_DAYS_AGO)
    campaign = campaign_create(actor=actor, data={
        "name": _("Win-back: we miss you"), "segment": segment,
        "channel": CampaignChannel.EMAIL,
        "objective": _("Bring back the customers who have not ordered for three months, with "
                       "a %(discount)s discount on their next order.") % OFFER,
        "starts_on": sent_day, "ends_on": sent_day + dt.timedelta(days=30),
        "currency": ctx.organization.base_currency, "budget": Decimal("2500.00"),
        "fixed_cost": Decimal("600.00"), "cost_per_message": Decimal("0.0200"),
        "control_share": 10, "attribution_days": 30})
    body = _("Hello {{ contact.first_name }},\n\nit has been a while since your last order. "
             "Until the end of the month you have %(discount)s off everything: "
             "https://shop.example.com/back\n\nSee you soon,\n{{ organization.name }}") % OFFER
    variant_a = CampaignVariant.objects.get(campaign=campaign, name="A")
    campaign_variant_update(actor=actor, variant=variant_a, expected_version=None, data={
        "subject": _("We miss you, {{ contact.first_name }}"), "body": body, "share": 50})
    campaign_variant_create(actor=actor, campaign=campaign, data={
        "name": "B", "subject": _("%(discount)s off your next order, {{ contact.first_name }}")
        % OFFER,
        "body": body, "share": 50})
    try:
        campaign_start(campaign=campaign, actor=actor)
    except ValidationError:  # nobody in the segment can be written to (a tiny demo)
        return {"campaigns started": 0}
    sent_at = timezone.make_aware(dt.datetime.combine(sent_day, dt.time(9, 30)))
    rng = ctx.rng("marketing responses")
    converting = _responses(campaign, sent_at, rng)
    campaign_mark_sent(campaign=campaign)
    campaign.refresh_from_db()  # the start and the channel changed its status
    campaign_finish(campaign=campaign, actor=actor)
    Campaign.objects.filter(pk=campaign.pk).update(
        started_at=sent_at - dt.timedelta(minutes=5),
        finished_at=sent_at + dt.timedelta(days=30))
    orders = _conversion_orders(ctx, converting, sent_day, rng)
    converted = conversions_mark(campaign=campaign)
    return {"campaign recipients": CampaignRecipient.objects.filter(campaign=campaign).count(),
            "campaign orders": orders, "campaign conversions": converted}


def _responses(campaign: Campaign, sent_at: dt.datetime,
               rng: np.random.Generator) -> list[int]:
    """Stamp the sent, delivered, opened and clicked instants of the campaign's pending
    recipients; return the accounts that will order in the window (control group included)."""
    variants = dict(CampaignVariant.objects.filter(campaign=campaign).values_list("pk", "name"))
    rows = list(CampaignRecipient.objects.filter(campaign=campaign).values_list(
        "pk", "status", "variant_id", "account_id"))
    converting: list[int] = []
    changes: list[CampaignRecipient] = []
    # An order is the account's: one placed by an account that also has a held-out contact
    # counts for both arms. The demo's responses come from accounts wholly in the sent group,
    # so the drawn difference between the arms shows on the page.
    held_out = {account for _pk, status, _v, account in rows
                if status == RecipientStatus.CONTROL}
    for pk, status, variant_id, account_id in rows:
        if status == RecipientStatus.CONTROL:
            if account_id and rng.random() < CONVERT["control"]:
                converting.append(account_id)
            continue
        if status != RecipientStatus.PENDING:
            continue
        open_rate, click_rate = RESPONSE.get(variants.get(variant_id, "A"), RESPONSE["A"])
        sent = sent_at + dt.timedelta(seconds=int(rng.integers(0, 3600)))
        row = CampaignRecipient(pk=pk, status=RecipientStatus.SENT, sent_at=sent)
        draw = rng.random()
        if draw < BOUNCE_RATE:
            row.bounced_at, row.bounce_kind = sent + dt.timedelta(minutes=2), "hard"
        else:
            row.delivered_at = sent + dt.timedelta(seconds=5)
            if draw < BOUNCE_RATE + click_rate:
                row.opened_at = sent + dt.timedelta(hours=float(rng.exponential(6)))
                row.clicked_at = row.opened_at + dt.timedelta(minutes=int(rng.integers(1, 30)))
            elif draw < BOUNCE_RATE + open_rate:
                row.opened_at = sent + dt.timedelta(hours=float(rng.exponential(8)))
            if row.opened_at and rng.random() < UNSUBSCRIBE_RATE / open_rate:
                row.unsubscribed_at = row.opened_at + dt.timedelta(minutes=1)
        rate = CONVERT["clicked"] if row.clicked_at else CONVERT["sent"]
        if account_id and account_id not in held_out and not row.bounced_at \
                and rng.random() < rate:
            converting.append(account_id)
        changes.append(row)
    _write(changes)
    return sorted(set(converting))[:MAX_CONVERSIONS]


_STAMPED = ("sent_at", "delivered_at", "bounced_at", "opened_at", "clicked_at",
            "unsubscribed_at")


def _write(changes: list[CampaignRecipient]) -> None:
    """One parameterised ``UPDATE`` run over the rows (``executemany``): ``bulk_update``
    builds a ``CASE`` per column and row, several times slower for the same rows."""
    table = connection.ops.quote_name(CampaignRecipient._meta.db_table)
    sets = ", ".join(f"{name} = %s" for name in ("status", "bounce_kind", *_STAMPED))
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(changes), _BATCH):
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", [
                (row.status, row.bounce_kind, *(adapt(getattr(row, name)) for name in _STAMPED),
                 row.pk) for row in changes[start:start + _BATCH]])


def _conversion_orders(ctx: DemoContext, accounts: list[int], sent_day: dt.date,
                       rng: np.random.Generator) -> int:
    """One delivered order per converting account, a few days after the send."""
    products = list(Product.objects.filter(active=True, kind="product").order_by("id")[:20])
    if not products or not accounts:
        return 0
    actor = ctx.users["admin"]
    made = 0
    for account in Account.objects.filter(pk__in=accounts).order_by("id"):
        ordered_on = sent_day + dt.timedelta(days=int(rng.integers(0, 25)))
        product = products[int(rng.integers(0, len(products)))]
        # an order of ORDER_VALUE € or so, like the sales history's (whole units)
        units = max(1, round(float(rng.uniform(*ORDER_VALUE)) / float(product.list_price)))
        order = order_create(actor=actor, account=account, ordered_on=ordered_on,
                             promised_date=ordered_on + dt.timedelta(days=5),
                             lines=[{"product": product, "quantity": Decimal(units)}],
                             notes=_("Win-back offer"))
        delivered_on = ordered_on + dt.timedelta(days=4)
        delivery_create(actor=actor, order=order,
                        lines=[(line, line.quantity) for line in order.lines.all()],
                        delivered_on=delivered_on)
        # invoiced on delivery, like every delivered order of the sales history
        invoice_issue(actor=actor, invoice=invoice_from_order(actor=actor, order=order),
                      issue_date=delivered_on)
        made += 1
    return made


# ---- the call list being worked, and a draft -----------------------------------------------


def _call_list(ctx: DemoContext, segment: Segment) -> dict[str, int]:
    if not segment.member_count:
        return {}
    manager = ctx.users["manager"]
    today = ctx.now.date()
    campaign = campaign_create(actor=manager, data={
        "name": _("Key accounts: quarterly call"), "segment": segment,
        "channel": CampaignChannel.PHONE,
        "objective": _("Call every key account this quarter: how are we doing, what do they "
                       "need next."),
        "starts_on": today, "ends_on": today + dt.timedelta(days=28),
        "currency": ctx.organization.base_currency, "fixed_cost": Decimal("0.00"),
        "control_share": 0})
    campaign_variant_update(
        actor=manager, variant=CampaignVariant.objects.get(campaign=campaign, name="A"),
        expected_version=None, data={"subject": _("Quarterly call"), "body": _(
            "Ask {{ contact.first_name }} how the last orders went and what "
            "{{ account.name }} plans for next quarter.")})
    try:
        campaign_start(campaign=campaign, actor=manager)
    except ValidationError:  # no key contact agreed to calls (a tiny demo)
        return {}
    lines = list(CallAssignment.objects.filter(campaign=campaign).select_related("assignee")
                 .order_by("id"))
    for line, outcome in zip(lines, LOGGED_CALLS, strict=False):
        caller: User = line.assignee or manager
        calls.call_outcome_log(actor=caller, call=line, outcome=outcome,
                               notes=_("Logged by the demo."))
    return {"call list lines": len(lines)}


def _web_form_campaign(ctx: DemoContext, segment: Segment) -> dict[str, int]:
    """The spring catalogue on request: the subscribers are invited to the contact form (its
    address carries the campaign's key); some ask, a few held-out ones and strangers too."""
    form = WebForm.objects.filter(kind=WebFormKind.CONTACT, active=True).order_by("id").first()
    if form is None or not segment.member_count:
        return {}
    actor = ctx.users["marketing"]
    start_day = ctx.now.date() - dt.timedelta(days=FORM_DAYS_AGO)
    campaign = campaign_create(actor=actor, data={
        "name": _("Spring catalogue on request"), "segment": segment,
        "channel": CampaignChannel.WEB_FORM,
        "objective": _("Invite our subscribers to ask for the spring catalogue through the "
                       "website's contact form, and count who asks against a control group "
                       "that was not invited."),
        "starts_on": start_day, "ends_on": start_day + dt.timedelta(days=45),
        "currency": ctx.organization.base_currency, "budget": Decimal("400.00"),
        "fixed_cost": Decimal("250.00"), "control_share": 10, "attribution_days": 30})
    webforms.campaign_web_form_set(actor=actor, campaign=campaign, web_form=form)
    try:
        campaign_start(campaign=campaign, actor=actor)
    except ValidationError:
        return {}
    rng = ctx.rng("marketing web form")
    rows = list(CampaignRecipient.objects.filter(
        campaign=campaign, status__in=(RecipientStatus.SENT, RecipientStatus.CONTROL))
        .order_by("id").values_list("contact_id", "status"))
    asking = [contact for contact, status in rows if rng.random() < FORM_RESPONSE[
        "sent" if status == RecipientStatus.SENT else "control"]][:MAX_SUBMISSIONS]
    people = [(f"{c.first_name} {c.last_name}".strip(), c.email) for c in
              Contact.objects.filter(pk__in=asking).exclude(email="").order_by("id")]
    people += list(VISITORS[:FORM_VISITORS])
    messages = (_("Please send me the spring catalogue."),
                _("I would like the new catalogue and your price list."),
                _("Could a salesperson call me about the spring offers?"))
    started = timezone.make_aware(dt.datetime.combine(start_day, dt.time(10, 0)))
    span = (timezone.now() - started).total_seconds()
    made: list[tuple[int, dt.datetime]] = []
    for i, (name, email) in enumerate(people):
        interaction = web_form_submit(
            form=form, client_address=f"198.51.100.{i + 1}", reference=str(campaign.uuid),
            data={"name": name, "email": email, "subject": _("Spring catalogue"),
                  "message": messages[i % len(messages)]})
        made.append((interaction.pk, started + dt.timedelta(
            seconds=float(rng.uniform(0.05, 0.95)) * span)))
    # the passing of time: the campaign started FORM_DAYS_AGO days ago, the submissions since
    Campaign.objects.filter(pk=campaign.pk).update(started_at=started)
    CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.SENT).update(
        sent_at=started)
    for interaction_id, when in made:
        Interaction.objects.filter(pk=interaction_id).update(occurred_at=when)
        WebFormSubmission.objects.filter(interaction_id=interaction_id).update(created_at=when)
        CampaignSubmission.objects.filter(interaction_id=interaction_id).update(
            submitted_at=when)
    conversions_mark(campaign=campaign)
    return {"web-form submissions": len(made)}


def _draft(ctx: DemoContext, segment: Segment) -> None:
    actor = ctx.users["marketing"]
    today = ctx.now.date()
    campaign = campaign_create(actor=actor, data={
        "name": _("Thank-you letter to our champions"), "segment": segment,
        "channel": CampaignChannel.LETTER,
        "objective": _("Thank our best customers by post, with an invitation to the spring "
                       "preview."),
        "starts_on": today + dt.timedelta(days=14), "currency":
            ctx.organization.base_currency, "fixed_cost": Decimal("150.00"),
        "cost_per_message": Decimal("1.2000"), "control_share": 10})
    campaign_variant_update(
        actor=actor, variant=CampaignVariant.objects.get(campaign=campaign, name="A"),
        expected_version=None, data={"subject": _("Thank you"), "body": _(
            "Dear {{ contact.first_name }},\n\nthank you for your trust this year.")})
