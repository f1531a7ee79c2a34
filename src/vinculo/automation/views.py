"""Pages of exception rules: the list, the form, a rule's log, delete. Thin: the form
collects, the services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.automation import describe, selectors, services
from vinculo.automation.forms import RuleForm
from vinculo.automation.models import Rule
from vinculo.core.views_base import RecordDeleteView, RecordMixin
from vinculo.core.views_settings import SettingsEditView, SettingsListView

VIEW, MANAGE = "automation.view", "automation.manage"


class RuleListView(SettingsListView):
    model = Rule
    permission = VIEW
    template_name = "automation/rule_list.html"

    def rows(self) -> Any:
        rules = list(selectors.rule_list())
        for rule in rules:  # in words, as on the rule's page
            rule.trigger_label = describe.trigger_text(rule)
            rule.action_labels = [str(describe.ACTION_LABELS.get(action.get("type"), ""))
                                  for action in rule.actions or []]
        return rules


class RuleDetailView(RecordMixin, View):
    """The rule in words and its log: every firing, on what, and what each action did."""

    model = Rule
    permission = VIEW

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        rule = self.get_object()
        firings = list(selectors.firings(rule))
        for firing in firings:
            firing.trigger_label = describe.firing_trigger(firing.trigger)
        return render(request, "automation/rule_detail.html", {
            "rule": rule, "firings": firings,
            "trigger": describe.trigger_text(rule), "conditions": describe.condition_lines(rule),
            "actions": [describe.action_text(action, rule.organization_id)
                        for action in rule.actions or []]})


class RuleEditView(SettingsEditView):
    model = Rule
    permission = MANAGE
    form_class = RuleForm
    create_service = staticmethod(services.rule_create)
    update_service = staticmethod(services.rule_update)
    instance_kwarg = "rule"
    template_name = "automation/rule_form.html"
    title = gettext_lazy("Exception rule")

    def success_url(self, record: Any) -> str:
        return reverse("automation:rule_detail", kwargs={"uuid": record.uuid})

    def context(self, form: Any) -> dict[str, Any]:
        return {"back": reverse("automation:rule_list")}


class RuleDeleteView(RecordDeleteView):
    model = Rule
    permission = MANAGE
    delete_service = staticmethod(services.rule_delete)
    instance_kwarg = "rule"
    list_url = "automation:rule_list"
