"""The generic API and page suites for loyalty: programmes (managed by administrators,
marketing and sales managers; read by everyone) and members (enrolled, redeemed and given
bonuses by those who sell and serve; adjusted by managers), under each role, the record-level
rule of the member's account, and another organisation's 404."""

from __future__ import annotations

import itertools

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Deletion, DeletionSuite, Page, PageSuite
from tests.loyalty.factories import member, program
from vinculo.loyalty import services

VIEW, CHANGE, MANAGE = "loyalty.view", "loyalty.change", "loyalty.manage"
_n = itertools.count(1)


def build_program(admin, owner):
    return program(admin, name=f"Club {next(_n)}")


def build_member(admin, owner):
    m = member(admin, program(admin, name=f"Club {next(_n)}"),
               AccountFactory(actor=admin, owner=owner, team=owner.team))
    with as_user(admin):
        services.points_adjust(actor=admin, member=m, points=350, note="Saldo")
    return m


class TestProgramApi(ApiSuite):
    api = Api("loyalty-program", "loyalty", build_program,
              permissions={"list": VIEW, "retrieve": VIEW, "create": MANAGE, "update": MANAGE,
                           "delete": MANAGE},
              create=lambda admin, user: {"name": "Club nuevo", "points_per_unit": "2",
                                          "tiers": [{"name": "Oro", "threshold": 100,
                                                     "multiplier": 2}]},
              update=lambda record: {"name": f"{record.name} (revisado)", "active": False},
              delete=True,
              calls=(Call("economics", "analytics.view", method="get"),))


class TestMemberApi(ApiSuite):
    api = Api("loyalty-member", "loyalty", build_member,
              permissions={"list": VIEW, "retrieve": VIEW, "create": CHANGE},
              create=lambda admin, user: {
                  "program": str(build_program(admin, user).uuid),
                  "account": str(AccountFactory(actor=admin, owner=user, team=user.team).uuid)},
              versioned=False,
              calls=(Call("ledger", VIEW, method="get"),
                     Call("statement", VIEW, method="get"),
                     Call("redeem", CHANGE, ok=201,
                          payload=lambda admin, user, record: {"reward": "cupon-10"}),
                     Call("adjust", MANAGE, ok=201,
                          payload=lambda admin, user, record: {"points": -5, "note": "Error"}),
                     Call("bonus", CHANGE, ok=201,
                          payload=lambda admin, user, record: {"kind": "review"})))


class TestProgramPages(PageSuite):
    page = Page("program", "loyalty", build_program, list="loyalty:program_list",
                detail="loyalty:program_detail", create="loyalty:program_create",
                edit="loyalty:program_update",
                permissions={"list": VIEW, "detail": VIEW, "create": MANAGE, "edit": MANAGE})


class TestMemberPages(PageSuite):
    page = Page("member", "loyalty", build_member, detail="loyalty:member_detail",
                permissions={"detail": VIEW})


class TestMemberStatementPages(PageSuite):
    page = Page("member statement", "loyalty", build_member,
                detail="loyalty:member_statement", permissions={"detail": VIEW})


def program_with_members(admin):
    """A programme with two members: it is not deleted (their ledgers are history)."""
    club = build_program(admin, admin)
    member(admin, club)
    member(admin, club)
    return club, ["2 programme members"]


class TestProgramDeletions(DeletionSuite):
    deletions = [Deletion("program", program_with_members, phrases_es=("2 miembros del programa",),
                          api="loyalty-program", page="loyalty:program_delete")]
