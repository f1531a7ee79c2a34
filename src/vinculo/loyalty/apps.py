"""Loyalty programmes: earn rules on paid invoices and bonuses, tiers over a rolling window,
rewards, first-in first-out expiry, an append-only points ledger, and the economics of the
programme (liability, breakage, redemption, incremental frequency and CLV of members)."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Capture,
    Contract,
    Dataset,
    DatasetField,
    DatasetJoin,
    DemoGenerator,
    Event,
    Job,
    MenuItem,
    PersonalData,
    Subscriber,
    VinculoApp,
)
from vinculo.core.record_panels import EXTENSION_POINT, RecordPanel
from vinculo.core.roles import ALL, Role, only

_SERVICES = "vinculo.loyalty.services"
_MANAGERS = only(Role.ADMIN, Role.MARKETING, Role.SALES_MANAGER)


class LoyaltyConfig(VinculoApp):
    name = "vinculo.loyalty"
    label = "loyalty"
    verbose_name = _("Loyalty")
    contract = Contract(
        datasets=(
            Dataset("loyalty_members", _("Loyalty members"), "loyalty.Member", "loyalty.view",
                    fields=(
                        DatasetField("program"), DatasetField("tier"),
                        DatasetField("joined_on")),
                    joins=(DatasetJoin("account", "accounts", "account", _("Account")),),
                    date_field="joined_on", order=140,
                    capture=(
                        Capture(_("Enrolment on the account's page"), fields=(
                            "program", "joined_on")),
                        Capture(_("Tier qualification"), "computed", ("tier",)))),
        ),
        url_prefix="loyalty/",
        api_routes=(
            ApiRoute("loyalty/programs", "vinculo.loyalty.api.ProgramViewSet",
                     "loyalty-program"),
            ApiRoute("loyalty/members", "vinculo.loyalty.api.MemberViewSet", "loyalty-member"),
        ),
        permissions={
            "loyalty.view": ALL,
            # enrol, redeem, award a review or referral bonus
            "loyalty.change": _MANAGERS | only(Role.SALES_REP, Role.SERVICE_AGENT),
            # programmes, adjustments by hand, campaign bonuses
            "loyalty.manage": _MANAGERS,
        },
        menu_items=(
            MenuItem("marketing", _("Loyalty programmes"), "loyalty:program_list",
                     "loyalty.view", order=30),
        ),
        events=(
            Event("loyalty_member.enrolled", "An account joined a loyalty programme.",
                  {"program": "the programme's UUID", "account": "the account's UUID"}),
            Event("points.redeemed", "A member exchanged points for a reward.",
                  {"reward": "the reward's key", "points": "how many",
                   "balance": "after the redemption"}),
            Event("loyalty_tier.changed", "A member reached or lost a tier of a loyalty "
                  "programme.",
                  {"program": "the programme's UUID", "program_name": "its name",
                   "account": "the account's UUID", "from": "the tier left ('' for none)",
                   "to": "the tier reached ('' for none)",
                   "package_from": "UUID of the service package the tier left gave, or null",
                   "package_to": "UUID of the service package the tier reached gives, "
                   "or null"}),
        ),
        subscribers=(
            Subscriber("invoice.paid", f"{_SERVICES}.on_invoice_paid"),
            # tiers that qualify by value tier follow the new snapshot
            Subscriber("snapshot.recomputed",
                       "vinculo.loyalty.tiers.on_snapshot_recomputed"),
            # also the credit note that closes a return (billing.returns.return_close)
            Subscriber("credit_note.issued", f"{_SERVICES}.on_credit_note_issued"),
        ),
        # ``loyalty.packages`` (``loyalty.benefits``): the packages a tier may give, from the
        # app that keeps them.
        extensions={
            "segments.fields": ("vinculo.loyalty.segment_fields.fields",),
            EXTENSION_POINT: (RecordPanel("loyalty", "loyalty:account_panel", "loyalty.view",
                                          ("customers.account",), order=7),),
        },
        jobs=(Job("loyalty_expire", ("--all",), daily_at=dt.time(3, 15)),),
        # After marketing (960): the demo programme's campaign bonus names a demo campaign.
        demo=DemoGenerator("vinculo.loyalty.demo.generate", order=965,
                           estimate="vinculo.loyalty.demo.estimate"),
        personal_data=(
            PersonalData("loyalty", _("Loyalty"),
                         "vinculo.loyalty.privacy.export_loyalty",
                         "vinculo.loyalty.privacy.erase_loyalty", order=70,
                         kept=_("The points ledger stays: a balance is derived from it.")),
        ),
    )
