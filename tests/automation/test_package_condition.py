"""Issue 12: "complaint opened by a customer of package X". The customer's current service
package is a condition of the one rule language (declared by ``packages``), so an exception
rule, a segment or a campaign can name it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.automation.factories import customer, rule
from tests.core.factories import as_user
from tests.packages.factories import make_package
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.automation.describe import action_text, condition_lines
from vinculo.automation.models import Firing, FiringStatus
from vinculo.core.roles import Role
from vinculo.packages.services import package_assign
from vinculo.segments import rules as segment_rules

pytestmark = pytest.mark.django_db


def test_a_complaint_from_a_gold_customer_notifies_its_account_manager(
        admin, users, mail_server, django_capture_on_commit_callbacks):
    rep, agent, manager = (users[Role.SALES_REP], users[Role.SERVICE_AGENT],
                           users[Role.SALES_MANAGER])
    gold = make_package(admin, name="Oro", rank=30, account_manager=manager)
    silver = make_package(admin, name="Plata")
    goldie, other, nobody = (customer(admin, rep), customer(admin, rep), customer(admin, rep))
    with as_user(admin):
        package_assign(actor=admin, account=goldie, package=gold, reason="Top")
        package_assign(actor=admin, account=other, package=silver, reason="Medio")
        QueueFactory(actor=admin, name="Soporte")
    complaint_rule = rule(
        admin, name="Queja Oro", trigger={"kind": "event", "event": "ticket.created",
                                          "record": {"type": ["complaint"]}},
        conditions={"conditions": [{"field": "packages.package", "op": "eq",
                                    "value": str(gold.uuid)}]},
        actions=[{"type": "notify", "to": "account_manager",
                  "message": "Queja de un cliente Oro"}])
    with as_user(agent), django_capture_on_commit_callbacks(execute=True):
        fired = TicketFactory(actor=agent, account=goldie, type="complaint")
        TicketFactory(actor=agent, account=goldie, type="request")
        TicketFactory(actor=agent, account=other, type="complaint")
        TicketFactory(actor=agent, account=nobody, type="complaint")
    firing = Firing.all_objects.get()
    assert (firing.record_uuid, firing.status) == (fired.uuid, FiringStatus.DONE)
    # The account manager the package names, not the account's owner.
    assert [m["To"] for m in mail_server if "Queja Oro" in m["Subject"]] == [manager.email]
    with as_user(admin):
        assert condition_lines(complaint_rule) == ["Service packages · service package is Oro"]


def test_the_package_condition_names_a_package_of_the_organisation(admin, other_admin):
    make_package(admin, name="Oro")
    foreign = make_package(other_admin, name="Ajeno")
    with pytest.raises(ValidationError) as caught:
        rule(admin, trigger={"kind": "event", "event": "ticket.created"},
             conditions={"conditions": [{"field": "packages.package", "op": "eq",
                                         "value": str(foreign.uuid)}]})
    assert "conditions.conditions[0].value" in caught.value.message_dict


def test_customers_without_a_package_are_the_empty_condition(admin, users):
    rep = users[Role.SALES_REP]
    gold = make_package(admin, name="Oro")
    goldie, nobody = customer(admin, rep), customer(admin, rep)
    with as_user(admin):
        package_assign(actor=admin, account=goldie, package=gold, reason="Top")

    def matching(condition):
        checked = segment_rules.check({"conditions": [condition]}, subject="accounts",
                                      organization_id=admin.organization_id)
        return set(segment_rules.matching(checked, subject="accounts",
                                          organization_id=admin.organization_id))
    assert matching({"field": "packages.package", "op": "empty"}) == {nobody}
    assert matching({"field": "packages.package", "op": "ne", "value": str(gold.uuid)}) == {
        nobody}


def test_a_package_without_an_account_manager_is_logged_not_fatal(
        admin, users, django_capture_on_commit_callbacks):
    rep, agent = users[Role.SALES_REP], users[Role.SERVICE_AGENT]
    silver = make_package(admin, name="Plata")
    plain = customer(admin, rep)
    with as_user(admin):
        package_assign(actor=admin, account=plain, package=silver, reason="Medio")
        QueueFactory(actor=admin, name="Soporte")
    rule(admin, name="Queja", trigger={"kind": "event", "event": "ticket.created"},
         actions=[{"type": "notify", "to": "account_manager", "message": "Queja"},
                  {"type": "notify", "to": "account_owner", "message": "Queja"}])
    with as_user(agent), django_capture_on_commit_callbacks(execute=True):
        TicketFactory(actor=agent, account=plain, type="complaint")
    firing = Firing.all_objects.get()
    assert firing.status == FiringStatus.PARTIAL
    assert [r["ok"] for r in firing.results] == [False, True]
    assert "Plata" in firing.results[0]["detail"]  # the package without a manager, named


def test_the_action_reads_as_spanish(admin):
    """The person after a preposition contracts in Spanish ("al gestor", not "a el gestor")."""
    with translation.override("es"):
        assert action_text({"type": "notify", "to": "account_manager", "message": "Queja"},
                           admin.organization_id) == (
            "Avisar al gestor de cuenta del paquete del cliente: «Queja»")
        assert action_text({"type": "assign_owner", "to": "account_owner"},
                           admin.organization_id) == (
            "Asignar el registro al propietario de la cuenta")
