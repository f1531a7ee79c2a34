"""Forms of the objectives and dashboards pages: they collect; ``services_objectives``
decides (and names the field at fault)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms_settings import SettingsForm, users_field
from vinculo.core.models import Team
from vinculo.reports.models import Objective
from vinculo.reports.objectives import readable_indicators
from vinculo.reports.services_objectives import OBJECTIVE_FIELDS


class ObjectiveForm(SettingsForm):
    """An objective: the indicators the user's role reads, a team or a person of theirs."""

    model = Objective
    field_names = OBJECTIVE_FIELDS

    def setup(self) -> None:
        choices = [(key, ind.label) for key, ind in readable_indicators(self.user).items()]
        self.fields["indicator"] = forms.ChoiceField(
            label=_("Indicator"), choices=[("", "---------"), *choices])
        self.fields["scope"].required = True
        team = self.fields["team"]
        team.queryset = Team.objects.all()
        team.to_field_name = "uuid"
        users_field(self.fields["user"], self.user)
        self.fields["user"].label = _("Person")
        self.fields["target"].help_text = _(
            "In the indicator's unit: an amount in the organisation's currency, a percentage "
            "(0–100), a count, or a score (CSAT 1–5, NPS −100 to 100).")


class WidgetAddForm(forms.Form):
    """What to add to a dashboard: one saved report or one objective."""

    item = forms.ChoiceField(label=_("Add to the dashboard"))

    def __init__(self, *args: Any, reports: Any, objectives: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [
            (_("Reports"), [(f"report:{r.uuid}", r.name) for r in reports]),
            (_("Objectives"), [(f"objective:{o.uuid}", str(o)) for o in objectives]),
        ]
