"""The demo's loyalty programme: «Club Vínculo» with three tiers, three rewards and bonuses for
reviews and referrals; a third of the customers with paid invoices enrolled on a date in
their history, their points earned by the same set-based service as live payments, a share
of them redeemed, and what was due expired first-in first-out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import override

from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus
from vinculo.core.audit import acting_as
from vinculo.core.demo import DemoContext
from vinculo.core.tenancy import organization_scope
from vinculo.loyalty import services
from vinculo.loyalty.benefits import package_names
from vinculo.loyalty.models import EntryKind, LedgerEntry, Member


def estimate(customers: int) -> int:
    """Rows for ``customers`` customers: a third enrolled, a few ledger rows each."""
    return customers // 3 * 8


def definition(packages: dict[str, str] | None = None) -> dict:
    """The programme; ``packages`` (a tier's name → a service package's UUID) gives the top
    tiers the demo's packages as a floor: Gold members at least Preferente, Platinum
    Premium."""
    packages = packages or {}
    return {
        "name": _("Club Vínculo"),
        "description": _("Points on every paid invoice, tiers by points earned in the last "
                         "year, coupons, discounts on quotes and credit notes."),
        "points_per_unit": "1", "point_value": "0.01", "expiry_months": 24,
        "tier_basis": "points", "tier_window_days": 365,
        "earn_rules": [{"kind": "review", "points": 50}, {"kind": "referral", "points": 250}],
        "tiers": [
            {"name": _("Silver"), "threshold": 300, "multiplier": "1.1",
             "offers": _("Priority phone line")},
            {"name": _("Gold"), "threshold": 1000, "multiplier": "1.25",
             "offers": _("Free delivery on every order"), "package": packages.get("Gold")},
            {"name": _("Platinum"), "threshold": 3000, "multiplier": "1.5",
             "offers": _("Free delivery and a quarterly visit"),
             "package": packages.get("Platinum")}],
        "rewards": [
            {"key": "cupon-10", "name": _("10 € coupon"), "kind": "coupon", "points": 1000,
             "value": 10},
            {"key": "cupon-50", "name": _("50 € coupon"), "kind": "coupon", "points": 4500,
             "value": 50},
            {"key": "descuento-100", "name": _("100 € off a quote"), "kind": "quote_discount",
             "points": 9000, "value": 100},
            {"key": "abono-25", "name": _("25 € credit note"), "kind": "credit_note",
             "points": 2500, "value": 25}],
    }


def _tier_packages(ctx: DemoContext) -> dict[str, str]:
    """The demo packages' UUIDs for the top tiers, when the packages app made them (its
    generator runs first): loyalty reads them through the extension point, not the app."""
    by_name = {name: uuid for uuid, name in package_names(ctx.organization.pk).items()}
    wanted = {"Gold": _("Preferente"), "Platinum": _("Premium")}
    return {tier: by_name[name] for tier, name in wanted.items() if name in by_name}


def generate(ctx: DemoContext) -> dict[str, int]:
    org = ctx.organization
    admin = ctx.users["admin"]
    rng = ctx.rng("loyalty")
    today = ctx.now.date()
    with organization_scope(org), acting_as(admin), override(org.language or "es"):
        program = services.program_create(actor=admin, data=definition(_tier_packages(ctx)))
        accounts = sorted(set(Invoice.objects.filter(
            kind=InvoiceKind.INVOICE, status=InvoiceStatus.PAID)
            .values_list("account_id", flat=True).order_by().distinct()))
        chosen = [a for a in accounts if rng.random() < 1 / 3]
        members = [Member(organization_id=org.pk, program=program, account_id=account_id,
                          joined_on=today - dt.timedelta(days=int(rng.integers(60, 900))))
                   for account_id in chosen]
        Member.objects.bulk_create(members, batch_size=2000)
        paid = list(Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.PAID,
                                           account_id__in=chosen).values_list("pk", flat=True))
        earned = services.invoices_earn(organization_id=org.pk, invoice_ids=paid)
        balances = dict(LedgerEntry.objects.values("member_id").annotate(b=Sum("points"))
                        .values_list("member_id", "b").order_by())
        redemptions = []
        for member in Member.objects.filter(program=program):
            left = balances.get(member.pk) or 0
            for reward in (program.rewards[1], program.rewards[0]):
                if left >= reward["points"] and rng.random() < 0.5:
                    left -= reward["points"]
                    redemptions.append(LedgerEntry(
                        organization_id=org.pk, member=member, kind=EntryKind.REDEEM,
                        points=-reward["points"], reward=reward["key"],
                        value=Decimal(reward["value"]),
                        code=f"FID-DEMO{member.pk:05d}{len(redemptions) % 10}",
                        occurred_on=today - dt.timedelta(days=int(rng.integers(1, 59)))))
        LedgerEntry.objects.bulk_create(redemptions, batch_size=2000)
        expired = services.points_expire(organization_id=org.pk, today=today)
        services.tiers_recompute(program=program, today=today)
    ctx.progress.update(len(members) + earned + len(redemptions) + expired)
    return {"loyalty members": len(members), "points movements":
            earned + len(redemptions) + expired}
