"""Business rules of loyalty: programmes, enrolment, and every movement of the points ledger.

- The ledger is append-only; a member's balance is the sum of its rows, never stored.
- Earning is set-based (:func:`invoices_earn`): one grouped query over the invoices' lines,
  one over the members, one bulk insert — the ``invoice.paid`` subscriber and a bulk backfill
  share it. A unique constraint makes a redelivered event earn nothing more.
- A credit note (also the one that closes a return) reverses the invoice's points pro rata to
  what is credited, exactly all of them once the invoice is fully credited, never below zero.
- Redemption first updates the member row (a row lock on PostgreSQL, the write lock on
  SQLite), then reads the balance: concurrent redemptions queue and none overdraws.
- Expiry is first-in first-out: an addition's ``expires_on`` (and a reversal's, the same as
  the earning it undoes) places it in the queue; what has been used (redeemed, expired,
  adjusted down) is taken from the oldest points first, so what expires on a day is the part
  of the points due by then that was not used — one grouped query for all members.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.billing import services as billing
from vinculo.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from vinculo.catalog.models import Product
from vinculo.core import events
from vinculo.core.models import User
from vinculo.core.services import org_id, refuse_unknown, require, versioned_save
from vinculo.customers.models import Account
from vinculo.loyalty import checks, selectors
from vinculo.loyalty.models import EntryKind, LedgerEntry, Member, Program, TierBasis
from vinculo.loyalty.tiers import tiers_recompute, tiers_retell
from vinculo.marketing.models import Campaign, CampaignRecipient
from vinculo.sales.documents import services as documents
from vinculo.sales.models import Quote, QuoteStatus

CHUNK = 5000
PROGRAM_FIELDS = ("name", "description", "active", "points_per_unit", "point_value",
                  "expiry_months", "tier_basis", "tier_window_days", "earn_rules", "tiers",
                  "rewards")


# ---- programmes --------------------------------------------------------------------------


def _program_values(organization_id: int, data: dict[str, Any],
                    program: Program | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data or program is None:
        values["name"] = checks._text(data.get("name"), "name", 200)
    for name in ("description",):
        if name in data:
            values[name] = str(data[name] or "").strip()
    if "active" in data:
        values["active"] = bool(data["active"])
    if "points_per_unit" in data:
        values["points_per_unit"] = checks._number(data["points_per_unit"], "points_per_unit")
    if "point_value" in data:
        values["point_value"] = checks._number(data["point_value"], "point_value")
    for name, top in (("expiry_months", 240), ("tier_window_days", 3660)):
        if name in data:
            number = checks._number(data[name], name, whole=True)
            if number > top:
                raise ValidationError({name: _("At most %(n)s.") % {"n": top}})
            values[name] = int(number)
    if "tier_basis" in data:
        if data["tier_basis"] not in TierBasis.values:
            raise ValidationError({"tier_basis": _("Choose points, spend or value tier.")})
        values["tier_basis"] = data["tier_basis"]
    if "earn_rules" in data:
        values["earn_rules"] = checks.earn_rules(data["earn_rules"], organization_id)
    if "tiers" in data or "tier_basis" in data:
        # the tiers are read by the basis they qualify on: checked again when it changes
        basis = values.get("tier_basis") or (program.tier_basis if program else
                                             TierBasis.POINTS)
        stored = program.tiers if program else []
        values["tiers"] = checks.tiers(data.get("tiers", stored), basis, organization_id)
    if "rewards" in data:
        values["rewards"] = checks.rewards(data["rewards"], organization_id)
    return values


@transaction.atomic
def program_create(*, actor: User, data: dict[str, Any]) -> Program:
    """A programme with its earn rules, tiers and rewards, each checked."""
    require(actor, "loyalty.manage")
    refuse_unknown(data, PROGRAM_FIELDS)
    organization_id = org_id(actor)
    values = _program_values(organization_id, data, None)
    return Program.objects.create(organization_id=organization_id, **values)


@transaction.atomic
def program_update(*, actor: User, program: Program, data: dict[str, Any],
                   expected_version: int | None) -> Program:
    """Change a programme; earned points stay as they were (the ledger is history)."""
    require(actor, "loyalty.manage")
    refuse_unknown(data, PROGRAM_FIELDS)
    values = _program_values(program.organization_id, data, program)
    before = {t["name"]: t.get("package") for t in program.tiers or []}
    for key, value in values.items():
        setattr(program, key, value)
    program = versioned_save(program, expected_version=expected_version, fields=list(values))
    if "tiers" in values or "tier_basis" in values or "tier_window_days" in values:
        moved = tiers_recompute(program=program, return_members=True, old_packages=before)
        # members who kept their tier while its package changed get the new package too
        tiers_retell(program, before, exclude=moved)
    return program


@transaction.atomic
def program_delete(*, actor: User, program: Program) -> None:
    """Remove a programme without members (one with members is deactivated instead)."""
    require(actor, "loyalty.manage")
    program.delete()


@transaction.atomic
def program_deactivate(*, actor: User, program: Program) -> Program:
    """Stop a programme that has members: nothing more is earned; balances stay."""
    require(actor, "loyalty.manage")
    program.active = False
    return versioned_save(program, expected_version=None, fields=["active"])


# ---- members ----------------------------------------------------------------------------


@transaction.atomic
def member_enrol(*, actor: User, program: Program, account: Account,
                 joined_on: dt.date | None = None) -> Member:
    """Enrol an account; enrolling it twice is refused naming ``account``."""
    require(actor, "loyalty.change")
    if account.organization_id != org_id(actor) or program.organization_id != org_id(actor):
        raise ValidationError({"account": _("Not found.")})
    if Member.objects.filter(program=program, account=account).exists():
        raise ValidationError({"account": _("This account is already a member.")})
    member = Member.objects.create(organization_id=program.organization_id, program=program,
                                   account=account,
                                   joined_on=joined_on or timezone.localdate())
    events.publish("loyalty_member.enrolled", record=member, actor=actor, data={
        "program": str(program.uuid), "account": str(account.uuid)})
    return member


def balance(member: Member) -> int:
    """The member's points now (``selectors.member_balance``: one sum, in one place)."""
    return selectors.member_balance(member)


def _expiry(program: Program, on: dt.date) -> dt.date | None:
    return on + relativedelta(months=program.expiry_months) if program.expiry_months else None


def _add(member: Member, program: Program, *, kind: str, points: int, on: dt.date,
         actor: User | None = None, **extra: Any) -> LedgerEntry:
    return LedgerEntry.objects.create(
        organization_id=member.organization_id, member=member, kind=kind, points=points,
        occurred_on=on, actor=actor, **extra)


def _lock(member: Member) -> None:
    """Serialise writers of one member: an UPDATE takes the row lock on PostgreSQL and the
    database's write lock on SQLite, before anything is read."""
    Member.all_objects.filter(pk=member.pk).update(version=F("version") + 1)


# ---- earning ---------------------------------------------------------------------------


def _rates(program: Program) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    by_category, by_line = {}, {}
    for rule in program.earn_rules or []:
        if rule["kind"] == "category":
            by_category[rule["category"]] = Decimal(rule["points_per_unit"])
        elif rule["kind"] == "product_line":
            by_line[rule["line"]] = Decimal(rule["points_per_unit"])
    return by_category, by_line


def _multipliers(program: Program) -> dict[str, Decimal]:
    return {tier["name"]: Decimal(tier["multiplier"]) for tier in program.tiers or []}


def invoices_earn(*, organization_id: int, invoice_ids: Iterable[int]) -> int:
    """Points for paid invoices of members of active programmes (paid since they joined):
    per line its net amount × the rate of its product line, else of its category, else the
    programme's; × the member's tier multiplier; rounded down. Set-based; invoices already
    earned are skipped. Returns how many ledger rows were written."""
    ids = list(invoice_ids)
    if not ids:
        return 0
    if len(ids) > CHUNK:  # bounded IN lists (SQLite's variable limit), same result
        return sum(invoices_earn(organization_id=organization_id, invoice_ids=ids[i:i + CHUNK])
                   for i in range(0, len(ids), CHUNK))
    lines = list(InvoiceLine.all_objects.filter(
        organization_id=organization_id, invoice_id__in=ids,
        invoice__kind=InvoiceKind.INVOICE, invoice__status=InvoiceStatus.PAID)
        .values("invoice_id", "invoice__account_id", "invoice__paid_on",
                "product__line__uuid", "product__line__category__uuid")
        .annotate(net=Sum("net_amount")).order_by())
    accounts = {row["invoice__account_id"] for row in lines}
    members = defaultdict(list)
    programs: dict[int, Program] = {}
    for member in Member.all_objects.filter(
            organization_id=organization_id, account_id__in=accounts,
            program__active=True).select_related("program"):
        members[member.account_id].append(member)
        programs[member.program_id] = member.program
    if not members:
        return 0
    done = set(LedgerEntry.all_objects.filter(
        organization_id=organization_id, kind=EntryKind.EARN, invoice_id__in=ids)
        .values_list("member_id", "invoice_id"))
    rates = {pid: _rates(p) for pid, p in programs.items()}
    multipliers = {pid: _multipliers(p) for pid, p in programs.items()}
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    dates: dict[int, dt.date] = {}
    for row in lines:
        invoice_id = row["invoice_id"]
        dates[invoice_id] = row["invoice__paid_on"] or timezone.localdate()
        for member in members.get(row["invoice__account_id"], ()):
            if (member.pk, invoice_id) in done or dates[invoice_id] < member.joined_on:
                continue
            by_category, by_line = rates[member.program_id]
            rate = by_line.get(str(row["product__line__uuid"])) \
                if row["product__line__uuid"] else None
            if rate is None and row["product__line__category__uuid"]:
                rate = by_category.get(str(row["product__line__category__uuid"]))
            if rate is None:
                rate = programs[member.program_id].points_per_unit
            totals[(member.pk, invoice_id)] += row["net"] * rate
    by_pk = {m.pk: m for group in members.values() for m in group}
    rows = []
    for (member_pk, invoice_id), amount in totals.items():
        member = by_pk[member_pk]
        program = programs[member.program_id]
        factor = multipliers[member.program_id].get(member.tier, Decimal(1))
        points = int((amount * factor).to_integral_value(rounding=ROUND_FLOOR))
        if points <= 0:
            continue
        on = dates[invoice_id]
        rows.append(LedgerEntry(
            organization_id=organization_id, member_id=member_pk, kind=EntryKind.EARN,
            points=points, occurred_on=on, expires_on=_expiry(program, on),
            invoice_id=invoice_id))
    LedgerEntry.all_objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    touched = {row.member_id for row in rows}
    for program in programs.values():
        tiers_recompute(program=program,
                        member_ids=[pk for pk in touched if by_pk[pk].program_id == program.pk])
    return len(rows)


def on_invoice_paid(occurrence: events.Occurrence) -> None:
    """Subscriber of ``invoice.paid``: earn for the invoice (after the payment commits)."""
    invoice = occurrence.record
    with transaction.atomic():
        invoices_earn(organization_id=invoice.organization_id, invoice_ids=[invoice.pk])


# ---- reversal ----------------------------------------------------------------------------


def on_credit_note_issued(occurrence: events.Occurrence) -> None:
    """Subscriber of ``credit_note.issued`` (a correction, or a return closed with a credit
    note): take back the points the credited invoice earned, in proportion to the share now
    credited; all of them when the invoice is fully credited."""
    note = occurrence.record
    with transaction.atomic():
        points_reverse(credit_note=note)


def points_reverse(*, credit_note: Invoice) -> list[LedgerEntry]:
    """The reversal rows for ``credit_note``; each keeps its earning's expiry date (its place
    in the first-in first-out queue) and never takes the balance below zero."""
    if credit_note.credited_invoice_id is None:
        return []
    if LedgerEntry.all_objects.filter(credit_note=credit_note, kind=EntryKind.REDEEM).exists():
        return []  # a reward paid as a credit note gives back money, not the purchase
    invoice = Invoice.all_objects.get(pk=credit_note.credited_invoice_id)
    # the purchase credited so far: rewards paid as credit notes on it are not returns
    rewards = LedgerEntry.all_objects.filter(kind=EntryKind.REDEEM,
                                             credit_note__isnull=False).values("credit_note_id")
    credited = -(Invoice.all_objects.filter(
        credited_invoice=invoice, kind=InvoiceKind.CREDIT_NOTE).exclude(
        status=InvoiceStatus.DRAFT).exclude(pk__in=rewards)
        .aggregate(s=Sum("total_amount"))["s"] or 0)
    share = min(Decimal(1), credited / invoice.total_amount) if invoice.total_amount else 1
    made = []
    for earn in LedgerEntry.all_objects.filter(invoice=invoice, kind=EntryKind.EARN):
        member = Member.all_objects.get(pk=earn.member_id)
        _lock(member)
        if LedgerEntry.all_objects.filter(member=member, credit_note=credit_note).exists():
            continue
        reversed_ = -(LedgerEntry.all_objects.filter(
            member=member, invoice=invoice, kind=EntryKind.REVERSE)
            .aggregate(s=Sum("points"))["s"] or 0)
        target = earn.points if share >= 1 else math.floor(earn.points * share)
        points = min(target - reversed_, balance(member))
        if points <= 0:
            continue
        # all_objects: the subscriber may run where no organisation is in scope (a task)
        made.append(LedgerEntry.all_objects.create(
            organization_id=member.organization_id, member=member, kind=EntryKind.REVERSE,
            points=-points, occurred_on=credit_note.issue_date or timezone.localdate(),
            expires_on=earn.expires_on, invoice=invoice, credit_note=credit_note,
            note=credit_note.number))
    return made


# ---- redemption, adjustment, bonuses -----------------------------------------------------


def _reward(program: Program, key: str) -> dict[str, Any]:
    for reward in program.rewards or []:
        if reward["key"] == key:
            return reward
    raise ValidationError({"reward": _("Not a reward of this programme.")})


def _draft_quote_lines(quote: Quote | None, member: Member) -> tuple[Quote, list[dict[str, Any]]]:
    """The member's draft quote a reward changes and its lines as ``quote_update`` takes
    them; refused under ``quote`` for another customer's quote or one no longer a draft."""
    if quote is None or quote.organization_id != member.organization_id \
            or quote.account_id != member.account_id or quote.status != QuoteStatus.DRAFT:
        raise ValidationError({"quote": _("Choose a draft quote of this customer.")})
    return quote, [{"product": line.product, "description": line.description,
                    "quantity": line.quantity, "unit_price": line.unit_price,
                    "tax_rate": line.tax_rate, "discount_percent": line.discount_percent}
                   for line in quote.lines.all()]


def _apply_quote_discount(actor: User, quote: Quote | None, member: Member,
                          value: Decimal) -> str:
    quote, lines = _draft_quote_lines(quote, member)
    if value >= quote.net_amount:
        raise ValidationError({"quote": _("The reward is worth more than the quote.")})
    share = value / quote.net_amount
    for line in lines:  # the reward's share taken off each line, on top of its own discount
        line["discount_percent"] = (100 - (100 - line["discount_percent"]) * (1 - share)
                                    ).quantize(Decimal("0.01"))
    documents.quote_update(actor=actor, quote=quote, lines=lines)
    return quote.number


def _apply_free_product(actor: User, quote: Quote | None, member: Member,
                        item: dict[str, Any]) -> str:
    """The reward's product on the draft quote as one more line at no price."""
    quote, lines = _draft_quote_lines(quote, member)
    product = Product.all_objects.filter(organization_id=member.organization_id,
                                         uuid=item["product"]).first()
    if product is None:
        raise ValidationError({"reward": _("The reward's product no longer exists.")})
    lines.append({"product": product, "quantity": item.get("quantity", 1), "unit_price": 0,
                  "description": _("%(product)s (loyalty reward)") % {"product": product.name}})
    documents.quote_update(actor=actor, quote=quote, lines=lines)
    return quote.number


def _credit_invoice(member: Member, invoice: Invoice | None, value: Decimal) -> Invoice:
    """The invoice a credit-note reward credits: the one chosen, else the customer's latest
    issued invoice with at least ``value`` left to credit."""
    candidates = Invoice.objects.filter(
        account_id=member.account_id, kind=InvoiceKind.INVOICE,
        status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PAID))
    if invoice is not None:
        candidates = candidates.filter(pk=invoice.pk)
    for found in candidates.order_by("-issue_date", "-id")[:50]:
        if billing.left_to_credit(found) >= value:
            return found
    raise ValidationError({"invoice": _(
        "Choose an issued invoice of this customer with at least %(value)s left to credit.")
        % {"value": value}})


@transaction.atomic
def points_redeem(*, actor: User, member: Member, reward: str, quote: Quote | None = None,
                  invoice: Invoice | None = None) -> LedgerEntry:
    """Exchange points for a reward: a coupon code, a discount or a free product on a draft
    quote, or a credit note on an invoice (by the billing service). Refused naming
    ``reward`` when the balance is short; concurrent calls queue on the member, so the
    balance is read after the lock and never overdrawn; a refused reward writes nothing."""
    require(actor, "loyalty.change")
    if member.organization_id != org_id(actor):
        raise ValidationError({"member": _("Not found.")})
    program = Program.all_objects.get(pk=member.program_id)
    item = _reward(program, reward)
    _lock(member)
    available = balance(member)
    if item["points"] > available:
        raise ValidationError({"reward": _(
            "%(points)s points are needed and the balance is %(balance)s.")
            % {"points": item["points"], "balance": available}})
    value = Decimal(item["value"])
    code, note, credit_note = "", "", None
    if item["kind"] == "coupon":
        code = "FID-" + secrets.token_hex(5).upper()
    elif item["kind"] == "free_product":
        note = _apply_free_product(actor, quote, member, item)
    elif item["kind"] == "credit_note":
        credit_note = billing.credit_note_for_amount(
            actor=actor, invoice=_credit_invoice(member, invoice, value), amount=value,
            reason=_("Loyalty reward: %(reward)s") % {"reward": item["name"]})
        note = credit_note.number
    else:
        note = _apply_quote_discount(actor, quote, member, value)
    entry = _add(member, program, kind=EntryKind.REDEEM, points=-item["points"],
                 # the reward as people read it (its name then), not its key
                 on=timezone.localdate(), actor=actor, reward=item["name"][:100], code=code,
                 value=value, note=note, credit_note=credit_note)
    events.publish("points.redeemed", record=member, actor=actor, data={
        "reward": item["key"], "points": item["points"], "balance": available - item["points"]})
    return entry


@transaction.atomic
def points_adjust(*, actor: User, member: Member, points: Any, note: str) -> LedgerEntry:
    """Add or take points by hand (a review, a referral, a goodwill gesture), with a reason.
    Added points expire like earned ones; taking more than the balance is refused."""
    require(actor, "loyalty.manage")
    if member.organization_id != org_id(actor):
        raise ValidationError({"member": _("Not found.")})
    amount = int(checks._number(points, "points", minimum=Decimal(-10**9), whole=True))
    if amount == 0:
        raise ValidationError({"points": _("Enter a number of points other than zero.")})
    note = " ".join(str(note or "").split())[:200]
    if not note:
        raise ValidationError({"note": _("Say why.")})
    program = Program.all_objects.get(pk=member.program_id)
    _lock(member)
    if amount < 0 and -amount > balance(member):
        raise ValidationError({"points": _("The balance is %(balance)s.")
                               % {"balance": balance(member)}})
    today = timezone.localdate()
    return _add(member, program, kind=EntryKind.ADJUST, points=amount, on=today, actor=actor,
                note=note, expires_on=_expiry(program, today) if amount > 0 else None)


@transaction.atomic
def points_bonus(*, actor: User, member: Member, kind: str, note: str = "") -> LedgerEntry:
    """The bonus a programme's ``review`` or ``referral`` rule gives, awarded by hand."""
    require(actor, "loyalty.change")
    if kind not in ("review", "referral"):
        raise ValidationError({"kind": _("Choose review or referral.")})
    program = Program.all_objects.get(pk=member.program_id)
    rule = next((r for r in program.earn_rules or [] if r["kind"] == kind), None)
    if rule is None:
        raise ValidationError({"kind": _("The programme gives no bonus for this.")})
    today = timezone.localdate()
    label = {"review": _("Bonus for a review"), "referral": _("Bonus for a referral")}[kind]
    return _add(member, program, kind=EntryKind.ADJUST, points=rule["points"], on=today,
                actor=actor, note=(f"{label}: {note}" if note else label)[:200],
                expires_on=_expiry(program, today))


@transaction.atomic
def campaign_bonus_award(*, actor: User, program: Program, campaign: Campaign) -> int:
    """The campaign rule's bonus to every member whose account converted in ``campaign``;
    once per member (set-based). Returns how many got it."""
    require(actor, "loyalty.manage")
    rule = next((r for r in program.earn_rules or [] if r["kind"] == "campaign"
                 and r["campaign"] == str(campaign.uuid)), None)
    if rule is None:
        raise ValidationError({"campaign": _("The programme gives no bonus for this campaign.")})
    note = f"campaign:{campaign.uuid}"
    converted = CampaignRecipient.objects.filter(
        campaign=campaign, converted_at__isnull=False).values("account_id")
    members = Member.objects.filter(program=program, account_id__in=converted).exclude(
        pk__in=LedgerEntry.objects.filter(note=note).values("member_id"))
    today = timezone.localdate()
    rows = [LedgerEntry(organization_id=program.organization_id, member=member,
                        kind=EntryKind.ADJUST, points=rule["points"], occurred_on=today,
                        expires_on=_expiry(program, today), note=note, actor=actor)
            for member in members]
    LedgerEntry.objects.bulk_create(rows)
    return len(rows)


# ---- expiry -------------------------------------------------------------------------


def points_expire(*, organization_id: int, today: dt.date | None = None) -> int:
    """Expire, first-in first-out, what is due by ``today`` and unused, for every member of
    the organisation: one grouped query, one bulk insert. Returns the rows written."""
    today = today or timezone.localdate()
    figures = LedgerEntry.all_objects.filter(organization_id=organization_id).values(
        "member_id").annotate(
        due=Sum("points", filter=Q(expires_on__lte=today)),
        used=Sum("points", filter=Q(expires_on__isnull=True)),
        left=Sum("points")).order_by()
    rows = []
    for row in figures:
        points = min((row["due"] or 0) + (row["used"] or 0), row["left"] or 0)
        if points > 0:
            rows.append(LedgerEntry(organization_id=organization_id,
                                    member_id=row["member_id"], kind=EntryKind.EXPIRE,
                                    points=-points, occurred_on=today))
    with transaction.atomic():
        LedgerEntry.all_objects.bulk_create(rows, batch_size=2000)
    return len(rows)
