"""``vinculo demo`` ships the default exception rules, in the organisation's language, and
the first scan puts them to work on the demo's late orders and overdue invoices. The same demo
(one load for the module) gives its top loyalty tiers the demo's service packages, and every
report dataset counts, for an administrator and for a representative, exactly the rows their
lists show (issue 14: record rules and tenancy apply to reports as to the lists)."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vinculo.automation import engine
from vinculo.automation.models import Firing, FiringStatus, Rule
from vinculo.billing.models import Invoice
from vinculo.core.models import Organization
from vinculo.core.tenancy import organization_scope
from vinculo.packages.models import ServicePackage
from vinculo.sales.models import Order

pytestmark = pytest.mark.django_db

NAMES = ("Late-delivery warning", "Overdue invoice reminder",
         "At-risk high-value customer: call", "Complaint from a top-tier customer")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("demo", "--customers", "300", "--seed", "5", "--no-progress",
                     "--org", "Reglas demo", "--password", "demo-pass-123",
                     stdout=io.StringIO())
        organization = Organization.objects.get(name="Reglas demo")
        yield organization
        from vinculo.core.demo import demo_reset

        demo_reset(organization)


def test_the_top_loyalty_tiers_give_the_demo_packages_as_a_floor(demo):
    from vinculo.loyalty.models import Member, Program
    from vinculo.packages.models import AccountPackage

    with organization_scope(demo), translation.override(demo.language):
        premium = ServicePackage.objects.get(name=_("Premium"))
        preferred = ServicePackage.objects.get(name=_("Preferente"))
        floors = {str(_("Gold")): preferred, str(_("Platinum")): premium}
        program = Program.objects.get()
        assert {t["name"]: t.get("package") for t in program.tiers if t.get("package")} == {
            name: str(package.uuid) for name, package in floors.items()}
        members = list(Member.objects.filter(tier__in=list(floors)))
        assert members, "the demo should have Gold or Platinum members"
        for member in members:
            row = AccountPackage.objects.select_related("package").get(
                account_id=member.account_id)
            floor = floors[member.tier]
            assert row.benefit_id == floor.pk
            assert row.package.rank >= floor.rank


def test_the_defaults_are_shipped_and_act_on_the_first_scan(demo):
    with organization_scope(demo):
        rules = {r.name: r for r in Rule.objects.all()}
        with translation.override(demo.language):
            assert set(rules) == {str(_(name)) for name in NAMES}
        assert {r.run_as.role for r in rules.values()} == {"admin"}
        # The complaint rule names the top service package (issue 12: "complaint opened by a
        # customer of package X"), the packages' demo's Premium.
        with translation.override(demo.language):
            complaint = rules[str(_("Complaint from a top-tier customer"))]
            premium = ServicePackage.objects.get(name=_("Premium"))
        assert complaint.conditions["conditions"] == [
            {"field": "packages.package", "op": "eq", "value": str(premium.uuid)}]
    today = timezone.localdate()
    started = time.perf_counter()
    fired = engine.evaluate_all(demo)
    seconds = time.perf_counter() - started
    assert fired > 0
    with organization_scope(demo), translation.override(demo.language):
        late = Firing.objects.filter(rule=rules[_("Late-delivery warning")])
        overdue = Firing.objects.filter(rule=rules[_("Overdue invoice reminder")])
        due = Order.objects.filter(status__in=("open", "partial"),
                                   promised_date__lte=today + dt.timedelta(days=3))
        assert late.count() == due.count()
        assert not late.exclude(status=FiringStatus.DONE).exists()
        assert overdue.count() == Invoice.objects.filter(
            kind="invoice", status="issued",
            due_date__lte=today - dt.timedelta(days=7)).count() > 0
    assert engine.evaluate_all(demo) == 0  # the same episodes: nothing more
    print(f"first scan of the demo: {fired} firings in {seconds:.1f} s")


def test_the_demo_placements_show_in_the_years_migration_matrix(demo):
    # the packages page's longest period is (today − 365 days, today]: placements dated on its
    # first day fell outside it and the matrix was empty
    from vinculo.packages import measures
    from vinculo.packages.models import ChangeStatus, PackageChange

    end = timezone.localdate()
    with organization_scope(demo):
        matrix = measures.migration_matrix(start=end - dt.timedelta(days=365), end=end)
        placed = PackageChange.objects.filter(status=ChangeStatus.APPLIED).count()
    assert placed > 0 and sum(matrix.values()) == placed


#: The datasets added after the first twelve: the demo must give each some rows.
NEWER_DATASETS = ("leads", "deliveries", "returns", "tasks", "campaigns", "loyalty_members")


def test_every_report_dataset_counts_what_the_users_list_shows(demo):
    """A count report on each dataset against the rows each user's list reads (the model's
    record rule, or its parent document's for lines and deliveries), counted here without
    the reports app."""
    from vinculo.core.models import User
    from vinculo.core.plugins import resolve
    from vinculo.core.roles import Role, role_has
    from vinculo.reports import query
    from vinculo.reports.definition import check
    from vinculo.reports.registry import sources

    admin = User.objects.filter(organization=demo, role=Role.ADMIN).order_by("id").first()
    rep = User.objects.filter(organization=demo, role=Role.SALES_REP,
                              team__isnull=False).order_by("id").first()
    assert set(NEWER_DATASETS) <= set(sources())
    counted = {}
    with organization_scope(demo):
        for key, source in sources().items():
            declaration = source.declaration
            for user in (admin, rep):
                if not role_has(user.role, source.permission):
                    continue
                got = query.run(check({"dataset": key, "aggregates": [{"fn": "count"}]},
                                      user), user).rows[0][0]
                listed = source.model.objects.all()
                if declaration.queryset:
                    listed = resolve(declaration.queryset)(user)
                elif declaration.parent and user.is_owner_scoped:
                    parent = source.model._meta.get_field(declaration.parent).related_model
                    listed = listed.filter(**{f"{declaration.parent}__in":
                                              parent.objects.all().restrict(user)})
                elif not declaration.parent:
                    listed = listed.restrict(user)
                assert got == listed.count(), (key, user.role)
                counted[key, user.role] = got
    for key in NEWER_DATASETS:
        assert counted[key, Role.ADMIN] > 0, key
    # the record rule holds back what a representative does not own
    assert counted["deliveries", Role.SALES_REP] < counted["deliveries", Role.ADMIN]
    assert counted["loyalty_members", Role.SALES_REP] < counted["loyalty_members", Role.ADMIN]
