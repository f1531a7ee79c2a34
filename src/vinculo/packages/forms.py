"""Forms of service packages: they collect; ``packages.services`` decides.

The package form offers the rule as the choices most packages need (profit segments, value
tiers, RFM segments, a minimum CLV), all of which must hold; a rule written in the segments'
full language (through the API) is kept as it is unless these are changed.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vinculo.analytics.models import PROFIT_SEGMENTS, SEGMENT_LABELS, VALUE_TIERS
from vinculo.catalog.models import PriceList
from vinculo.core.forms_settings import SettingsForm, users_field
from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import Team
from vinculo.core.pickers import style
from vinculo.packages.models import ServiceChannel, ServicePackage

FORM_FIELDS = ("name", "description", "rank", "active", "service_tier", "price_list",
               "lead_time_days", "partial_deliveries", "payment_terms_days", "account_manager",
               "team", "offers", "downgrade_needs_approval")
RFM = [n for n in SEGMENT_LABELS if n not in (*VALUE_TIERS, *PROFIT_SEGMENTS)]
SIMPLE = {"analytics.profit_segment": "profit_segments", "analytics.value_tier": "value_tiers",
          "analytics.rfm_segment": "rfm_segments"}


def _checks() -> forms.CheckboxSelectMultiple:
    return forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


def simple_rule(rule: dict[str, Any]) -> dict[str, Any] | None:
    """The form's fields for a rule they can show, or None (a rule of the full language)."""
    values: dict[str, Any] = {}
    if not rule or not rule.get("conditions"):
        return values
    if rule.get("match", "all") != "all" and len(rule["conditions"]) > 1:
        return None
    for condition in rule["conditions"]:
        field, op = condition.get("field"), condition.get("op")
        if field in SIMPLE and op == "in":
            values[SIMPLE[field]] = list(condition.get("value") or [])
        elif field == "analytics.clv" and op == "gte":
            values["clv_min"] = condition.get("value")
        else:
            return None
    return values


class PackageForm(SettingsForm):
    model = ServicePackage
    field_names = FORM_FIELDS
    channels = forms.MultipleChoiceField(label=_("Service channels"), required=False,
                                         choices=ServiceChannel.choices,
                                         widget=_checks())
    profit_segments = forms.MultipleChoiceField(
        label=_("Profitability"), required=False, widget=_checks(),
        choices=[(n, SEGMENT_LABELS[n]) for n in PROFIT_SEGMENTS])
    value_tiers = forms.MultipleChoiceField(
        label=_("Value tier"), required=False, widget=_checks(),
        choices=[(n, SEGMENT_LABELS[n]) for n in VALUE_TIERS])
    rfm_segments = forms.MultipleChoiceField(
        label=_("RFM segment"), required=False, widget=forms.SelectMultiple,
        choices=[(n, SEGMENT_LABELS[n]) for n in RFM])
    clv_min = forms.DecimalField(label=_("CLV of at least"), required=False, min_value=0)
    services_text = forms.CharField(
        label=_("Included services"), required=False, max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: the service, a semicolon, its monthly cost per customer "
                    "(“Quarterly visit; 45”)."))

    error_fields = {"rule": "profit_segments", "channels": "channels"}

    def setup(self) -> None:
        self.fields["price_list"].queryset = PriceList.objects.filter(
            account__isnull=True).exclude(segment="").order_by("name")
        self.fields["price_list"].to_field_name = "uuid"
        users_field(self.fields["account_manager"], self.user)
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["team"].to_field_name = "uuid"
        rule = self.instance.rule if self.instance.pk else {}
        simple = simple_rule(rule)
        self.full_rule = simple is None
        if not self.is_bound:
            for key, value in (simple or {}).items():
                self.initial[key] = value
            self.initial["channels"] = list(self.instance.channels or [])
            self.initial["services_text"] = "\n".join(
                f"{s.name}; {s.monthly_cost}" for s in self.instance.services.all()
            ) if self.instance.pk else ""
        for name in ("description", "offers"):
            self.fields[name].widget.attrs["rows"] = 2
        style(self)

    def clean_services_text(self) -> list[dict[str, Any]]:
        rows = []
        for number, line in enumerate(self.cleaned_data.get("services_text", "").splitlines(), 1):
            if not line.strip():
                continue
            name, _sep, cost = line.rpartition(";") if ";" in line else (line, "", "0")
            try:
                amount = Decimal((cost or "0").strip().replace(",", "."))
            except InvalidOperation:
                raise ValidationError(_("Line %(n)d: the cost is not a number.")
                                      % {"n": number}) from None
            rows.append({"name": name.strip(), "monthly_cost": amount})
        return rows

    def rule(self) -> dict[str, Any] | None:
        """The rule the choices make, or None to keep a full-language rule untouched."""
        data = self.cleaned_data
        conditions: list[dict[str, Any]] = []
        for field, key in SIMPLE.items():
            if data.get(key):
                conditions.append({"field": field, "op": "in", "value": list(data[key])})
        if data.get("clv_min") is not None:
            conditions.append({"field": "analytics.clv", "op": "gte",
                               "value": float(data["clv_min"])})
        if self.full_rule and not conditions:
            return None
        return {"match": "all", "conditions": conditions} if conditions else {}

    def data_for_service(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.field_names}
        data["channels"] = list(self.cleaned_data.get("channels") or [])
        rule = self.rule()
        if rule is not None:
            data["rule"] = rule
        return data

    def show_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            exc = ValidationError({
                ("services_text" if key.startswith("services.") else key): errors
                for key, errors in exc.error_dict.items()})
        super().show_service_errors(exc)


class AssignForm(forms.Form):
    package = forms.ModelChoiceField(
        label=_("Package"), queryset=None, required=False,
        to_field_name="uuid", empty_label=_("No package"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = ServicePackage.objects.filter(active=True)
        style(self)


def rule_json(rule: dict[str, Any]) -> str:
    return json.dumps(rule, ensure_ascii=False, indent=1)
