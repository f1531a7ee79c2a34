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

from vinculo.automation import builder, describe, selectors, services
from vinculo.automation.forms import RuleForm
from vinculo.automation.models import Rule, TriggerKind
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
        for field in form.fields.values():  # the trigger's choices re-render the builder
            if "hx-post" in field.widget.attrs:
                field.widget.attrs["hx-post"] = self.request.path
        return {"back": reverse("automation:rule_list"),
                "action_choices": builder.action_choices(),
                "trigger_help": TRIGGER_HELP.get(form.chosen_kind(), "")}

    def post(self, request: HttpRequest, uuid: uuid.UUID | None = None) -> HttpResponse:
        """A choice in the builder (htmx, no "save"): the builder again with it, nothing
        saved; "Save": the services decide."""
        if request.htmx and "save" not in request.POST:
            form = self.form_class(request.POST, instance=self.instance(), user=request.user)
            return render(request, "automation/_builder.html",
                          {"form": form, **self.context(form)})
        return super().post(request, uuid)


#: A line under the trigger saying when it is evaluated.
TRIGGER_HELP = {
    TriggerKind.EVENT: gettext_lazy("Runs at once, each time the event happens."),
    TriggerKind.ORDER_DUE: gettext_lazy("Checked every 15 minutes; once per order while it "
                                        "stays due."),
    TriggerKind.INVOICE_OVERDUE: gettext_lazy("Checked every 15 minutes; once per invoice "
                                              "while it stays overdue."),
    TriggerKind.SEGMENT_ENTERED: gettext_lazy("Checked when the segment is refreshed."),
    TriggerKind.SEGMENT_LEFT: gettext_lazy("Checked when the segment is refreshed."),
    TriggerKind.ANALYTICS: gettext_lazy("Checked after each analytics recompute; needs "
                                        "conditions."),
    TriggerKind.FIELD_CROSSES: gettext_lazy("Runs when an edit takes the value across the "
                                            "threshold, not on every change (a new order's "
                                            "total: when the order is placed)."),
    TriggerKind.DATE_RELATIVE: gettext_lazy("Checked every 15 minutes; once per record and "
                                            "date (a date moved later is warned about "
                                            "again)."),
    TriggerKind.DELIVERY_EXCEPTION: gettext_lazy("Runs when a delivery of an order is "
                                                 "recorded."),
}


class RuleDeleteView(RecordDeleteView):
    model = Rule
    permission = MANAGE
    delete_service = staticmethod(services.rule_delete)
    instance_kwarg = "rule"
    list_url = "automation:rule_list"
