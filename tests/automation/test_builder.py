"""The rule builder on the rule's page: trigger, conditions and actions chosen from lists and
re-rendered by htmx; nothing typed as JSON; the checks' errors beside the control they name,
nothing saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.automation.factories import rule
from vinculo.automation.models import Rule

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
URL = "automation:rule_create"


def _base(**extra):
    return {"name": "Retraso", "active": "on", "trigger_kind": "date_relative",
            "date_field": "order.promised_date", "when": "before", "days": "3",
            "condition_rows": "0", "action_rows": "1", "a-0-type": "create_task",
            "a-0-title": "Avisar del retraso", "a-0-due_in_days": "1",
            "a-0-assignee": "account_owner", "a-0-priority": "high", **extra}


def test_a_new_rule_starts_with_a_task_and_no_json(page):
    html = page.get(reverse(URL)).content.decode()
    assert 'name="a-0-type"' in html and 'name="a-0-title"' in html
    assert 'name="conditions_json"' not in html and 'name="actions"' not in html


def test_choices_re_render_the_builder(page, admin):
    url = reverse(URL)
    chosen = page.post(url, _base(trigger_kind="field_crosses"), **HTMX)
    html = chosen.content.decode()
    assert chosen.status_code == 200 and html.lstrip().startswith("<div id=\"rule-builder\"")
    assert 'name="cross_field"' in html and 'name="threshold"' in html
    assert 'name="date_field"' not in html
    added = page.post(url, _base(add_condition="1", add_action="1"), **HTMX).content.decode()
    assert 'name="c-0-field"' in added and 'name="a-1-type"' in added
    field = page.post(url, _base(**{"condition_rows": "1", "c-0-field": "account.service_tier"}),
                      **HTMX).content.decode()
    assert 'name="c-0-op"' in field and 'value="platinum"' in field
    notify = page.post(url, _base(**{"a-0-type": "notify"}), **HTMX).content.decode()
    assert 'name="a-0-message"' in notify and 'name="a-0-title"' not in notify
    setting = page.post(url, _base(**{"a-0-type": "set_field", "a-0-field": "ticket.priority"}),
                        **HTMX).content.decode()
    assert 'value="urgent"' in setting
    removed = page.post(url, _base(remove_action="0"), **HTMX).content.decode()
    assert 'name="a-0-type"' not in removed
    assert not Rule.all_objects.exists()  # re-rendering never saves


def test_bad_input_is_refused_beside_its_control(page):
    url = reverse(URL)
    bad = page.post(url, _base(**{
        "days": "-1", "action_rows": "2", "a-1-type": "notify", "a-1-to": "nadie",
        "a-1-message": "", "condition_rows": "1", "c-0-field": "analytics.clv",
        "c-0-op": "gte", "c-0-value": "mucho", "save": "1"}))
    assert bad.status_code == 400
    form = bad.context["form"]
    assert "days" in form.errors
    params = {p.name: p for p in form.action_rows[1].params}
    assert params["to"].errors and params["message"].errors
    assert form.condition_rows[0].errors
    html = bad.content.decode()
    assert 'id="a-1-to-error"' in html and 'aria-describedby="a-1-to-error"' in html
    assert not Rule.all_objects.exists()


def test_the_page_saves_what_was_chosen_and_shows_it_again(page, admin):
    url = reverse(URL)
    good = page.post(url, _base(**{
        "condition_rows": "1", "c-0-field": "account.service_tier", "c-0-op": "in",
        "c-0-value": ["platinum", "gold"], "match": "all", "action_rows": "2",
        "a-1-type": "notify", "a-1-to": str(admin.uuid), "a-1-message": "Pedido en riesgo",
        "save": "1"}))
    assert good.status_code == 302, good.context["form"].errors
    saved = Rule.all_objects.get()
    assert saved.trigger == {"kind": "date_relative", "field": "order.promised_date",
                             "when": "before", "days": 3}
    assert saved.conditions == {"match": "all", "conditions": [
        {"field": "account.service_tier", "op": "in", "value": ["platinum", "gold"]}]}
    assert saved.actions == [
        {"type": "create_task", "title": "Avisar del retraso", "due_in_days": 1,
         "assignee": "account_owner", "priority": "high"},
        {"type": "notify", "to": str(admin.uuid), "message": "Pedido en riesgo"}]
    edit = page.get(reverse("automation:rule_update", args=[saved.uuid])).content.decode()
    assert 'value="account.service_tier" selected' in edit
    assert 'value="notify" selected' in edit and "Pedido en riesgo" in edit
    assert page.get(good.url).status_code == 200


def test_nested_conditions_made_by_the_api_are_kept_as_json(page, admin):
    nested = {"match": "any", "conditions": [
        {"match": "all", "conditions": [{"field": "analytics.clv", "op": "gte", "value": 10}]}]}
    saved = rule(admin, conditions=nested)
    html = page.get(reverse("automation:rule_update", args=[saved.uuid])).content.decode()
    assert 'name="conditions_json"' in html and 'value="json"' in html


def test_the_page_speaks_the_users_language(page, admin):
    admin.language = "es"
    admin.save(update_fields=["language"])
    html = page.get(reverse(URL)).content.decode()
    assert "2. Si (condiciones sobre el cliente)" in html
    assert "Añadir una acción" in html
    assert "Un pedido vence en N días y no está entregado" in html
