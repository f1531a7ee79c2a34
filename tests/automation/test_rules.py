"""Saving rules: the checks name the part at fault (page and API), conditions are the
segments' rule language, and only administrators edit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.automation.factories import TASK, rule
from tests.conftest import token_client
from tests.core.factories import as_user
from vinculo.automation.models import Rule
from vinculo.automation.services import rule_create, rule_update
from vinculo.core.roles import Role
from vinculo.core.services import PermissionDeniedError

pytestmark = pytest.mark.django_db


def _errors(admin, **data):
    values = {"name": "R", "trigger": {"kind": "order_due", "days": 3}, "actions": [TASK],
              **data}
    with as_user(admin), pytest.raises(ValidationError) as caught:
        rule_create(actor=admin, data=values)
    assert not Rule.all_objects.exists()
    return caught.value.message_dict


def test_a_checked_rule_is_stored_canonical(admin):
    saved = rule(admin, trigger={"kind": "event", "event": "ticket.created",
                                 "record": {"type": "complaint"}},
                 conditions={"conditions": [{"field": "analytics.value_tier", "op": "in",
                                             "value": ["Gold"]}]})
    assert (saved.kind, saved.event, saved.run_as) == ("event", "ticket.created", admin)
    assert saved.trigger["record"] == {"type": ["complaint"]}
    assert saved.conditions["match"] == "all"
    assert saved.actions == [{**TASK, "priority": "normal"}]


@pytest.mark.parametrize(("data", "path"), [
    ({"trigger": {"kind": "sometimes"}}, "trigger.kind"),
    ({"trigger": {"kind": "order_due", "days": -1}}, "trigger.days"),
    ({"trigger": {"kind": "order_due", "days": 3, "hours": 2}}, "trigger.hours"),
    ({"trigger": {"kind": "invoice_overdue", "days": 0}}, "trigger.days"),
    ({"trigger": {"kind": "event", "event": "order.exploded"}}, "trigger.event"),
    ({"trigger": {"kind": "event", "event": "ticket.created", "record": {"type": "x"}}},
     "trigger.record.type"),
    ({"trigger": {"kind": "segment_entered", "segment": "nope"}}, "trigger.segment"),
    ({"trigger": {"kind": "analytics"}}, "conditions"),
    ({"conditions": {"conditions": [{"field": "analytics.nothing", "op": "eq",
                                     "value": 1}]}}, "conditions.conditions[0].field"),
    ({"conditions": {"conditions": [{"field": "analytics.clv", "op": "gte",
                                     "value": "mucho"}]}}, "conditions.conditions[0].value"),
    ({"actions": []}, "actions"),
    ({"actions": [TASK, {"type": "explode"}]}, "actions[1].type"),
    ({"actions": [{**TASK, "title": ""}]}, "actions[0].title"),
    ({"actions": [{**TASK, "assignee": "nadie"}]}, "actions[0].assignee"),
    ({"actions": [{"type": "send_email", "template": "x"}]}, "actions[0].template"),
    ({"actions": [{"type": "set_field", "field": "order.total", "value": 1}]},
     "actions[0].field"),
    ({"actions": [{"type": "set_field", "field": "ticket.priority", "value": "max"}]},
     "actions[0].value"),
    ({"actions": [{"type": "notify", "to": "account_owner"}]}, "actions[0].message"),
    ({"actions": [{"type": "assign_queue", "queue": "x"}]}, "actions[0].queue"),
    ({"trigger": {"kind": "segment_left"}}, "trigger.segment"),
])
def test_bad_parts_are_refused_by_name(admin, data, path):
    assert path in _errors(admin, **data)


def test_another_organisations_user_is_not_a_recipient(admin, other_admin):
    errors = _errors(admin, actions=[{**TASK, "assignee": str(other_admin.uuid)}])
    assert "actions[0].assignee" in errors


def test_only_administrators_edit(users, admin):
    saved = rule(admin)
    manager = users[Role.SALES_MANAGER]
    with as_user(manager), pytest.raises(PermissionDeniedError):
        rule_update(actor=manager, rule=saved, data={"active": False}, expected_version=1)
    saved.refresh_from_db()
    assert saved.active


def test_api_400_names_the_part_and_saves_nothing(api):
    response = api.post("/api/automation/rules/", {
        "name": "Mala", "trigger": {"kind": "invoice_overdue", "days": "siete"},
        "conditions": {"conditions": [{"field": "analytics.p_alive", "op": "zz",
                                       "value": 1}]},
        "actions": [{"type": "notify", "to": "account_owner"}]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert {"trigger.days", "conditions.conditions[0].op", "actions[0].message"} <= set(body)
    assert not Rule.all_objects.exists()


def test_api_round_trip_and_log(api, admin):
    response = api.post("/api/automation/rules/", {
        "name": "Retraso", "trigger": {"kind": "order_due", "days": 3}, "actions": [TASK]},
        format="json")
    assert response.status_code == 201, response.content
    uuid = response.json()["id"]
    assert response.json()["run_as"] == str(admin.uuid)
    response = api.patch(f"/api/automation/rules/{uuid}/", {
        "version": 1, "trigger": {"kind": "order_due", "days": 5}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["trigger"] == {"kind": "order_due", "days": 5}
    assert api.get(f"/api/automation/rules/{uuid}/firings/").json() == []


def test_managers_read_but_do_not_write_through_the_api(users, admin):
    saved = rule(admin)
    manager = token_client(users[Role.SALES_MANAGER])
    assert manager.get(f"/api/automation/rules/{saved.uuid}/").status_code == 200
    assert manager.patch(f"/api/automation/rules/{saved.uuid}/", {"version": 1,
                         "active": False}, format="json").status_code == 403
    rep = token_client(users[Role.SALES_REP])
    assert rep.get("/api/automation/rules/").status_code == 403


def test_another_organisation_gets_404(admin, other_admin, client):
    saved = rule(admin)
    api = token_client(other_admin)
    assert api.get(f"/api/automation/rules/{saved.uuid}/").status_code == 404
    assert api.get(f"/api/automation/rules/{saved.uuid}/firings/").status_code == 404
    client.force_login(other_admin)
    assert client.get(reverse("automation:rule_detail", args=[saved.uuid])).status_code == 404
