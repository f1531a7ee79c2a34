"""Forms of loyalty's pages: the programme (plain fields, and its earn rules, tiers and
rewards as JSON lists with an example, as exception rules' conditions are), and the small
forms of a member's page. They collect; the services decide and name the field at fault."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vinculo.core.formats import format_number
from vinculo.core.forms_settings import SettingsForm
from vinculo.core.pickers import style
from vinculo.loyalty.models import Program
from vinculo.loyalty.selectors import statement_period

EXAMPLES = {
    "earn_rules": [{"kind": "review", "points": 50}, {"kind": "referral", "points": 200}],
    "tiers": [{"name": "Plata", "threshold": 1000, "multiplier": 1.25, "offers": ""},
              {"name": "Oro", "threshold": 5000, "multiplier": 1.5,
               "offers": "Envío gratis"}],
    "rewards": [{"key": "cupon-10", "name": "Cupón de 10 €", "kind": "coupon",
                 "points": 1000, "value": 10}],
}


class JsonList(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 6, "class": "form-control font-monospace",
                                   "spellcheck": "false"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, strip=True, **kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return []
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValidationError(_("This is not valid JSON: %(error)s") % {"error": exc}) \
                from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value


class ProgramForm(SettingsForm):
    model = Program
    field_names = ("name", "description", "active", "points_per_unit", "point_value",
                   "expiry_months", "tier_basis", "tier_window_days")

    earn_rules = JsonList(label=_("Earn rules"))
    tiers = JsonList(label=_("Tiers"))
    rewards = JsonList(label=_("Rewards"))

    def setup(self) -> None:
        helps = {
            "earn_rules": gettext(
                "A list. category {category, points_per_unit} and product_line {line, "
                "points_per_unit} (the UUID of the category or line; they replace the "
                "programme's rate on those lines), campaign {campaign, points} (a bonus for "
                "members whose account converted in the campaign), review {points} and "
                "referral {points} (bonuses given on the member's page)."),
            "tiers": gettext("A list of {name, threshold, multiplier, offers, package}; the "
                             "threshold is in points or in spend, as chosen above; when tiers "
                             "qualify by value tier, give value_tier (Platinum, Gold, Iron or "
                             "Lead) instead of the threshold. package (optional): the UUID of "
                             "a service package its members get."),
            "rewards": gettext("A list of {key, name, kind, points, value}; kind is coupon, "
                               "quote_discount, free_product (with product, the product's "
                               "UUID, and quantity) or credit_note; the value is money."),
        }
        for name, text in helps.items():
            self.fields[name].help_text = gettext("%(help)s Example: %(example)s") % {
                "help": text, "example": json.dumps(EXAMPLES[name], ensure_ascii=False)}

    def initial_values(self) -> dict[str, Any]:
        return {**super().initial_values(), "earn_rules": self.instance.earn_rules,
                "tiers": self.instance.tiers, "rewards": self.instance.rewards}

    def data_for_service(self) -> dict[str, Any]:
        return {**super().data_for_service(),
                **{name: self.cleaned_data[name] for name in ("earn_rules", "tiers",
                                                              "rewards")}}

    def show_service_errors(self, exc: ValidationError) -> None:
        """``tiers[1].threshold`` under Tiers, with its path."""
        if not hasattr(exc, "error_dict"):
            return super().show_service_errors(exc)
        for key, errors in exc.message_dict.items():
            message = " ".join(errors)
            root = key.split("[")[0].split(".")[0]
            if root in ("earn_rules", "tiers", "rewards"):
                self.add_error(root, f"{key}: {message}" if key != root else message)
            else:
                self.add_error(key if key in self.fields else None, message)
        return None


class RedeemForm(forms.Form):
    reward = forms.ChoiceField(label=_("Reward"))
    quote = forms.ChoiceField(label=_("Draft quote (for a discount or a free product)"),
                              required=False)
    invoice = forms.ChoiceField(label=_("Invoice to credit (for a credit note)"),
                                required=False,
                                help_text=_("Empty: the latest invoice with enough left to "
                                            "credit."))

    def __init__(self, *args: Any, rewards: list[dict], quotes: list[Any],
                 invoices: list[Any] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = [("", "—"), *((str(i.uuid), i.number)
                                                       for i in invoices or [])]
        self.fields["reward"].choices = [
            (r["key"], gettext("%(name)s (%(points)s points)") % {
                "name": r["name"], "points": format_number(r["points"])}) for r in rewards]
        self.fields["quote"].choices = [("", "—"), *((str(q.uuid), q.number) for q in quotes)]
        style(self)


class AdjustForm(forms.Form):
    points = forms.IntegerField(label=_("Points"),
                                help_text=_("Positive adds, negative takes away."))
    note = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        style(self)


class BonusForm(forms.Form):
    kind = forms.ChoiceField(label=_("Bonus"), choices=(("review", _("For a review")),
                                                         ("referral", _("For a referral"))))
    note = forms.CharField(label=_("Note"), max_length=150, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        style(self)


class StatementForm(forms.Form):
    """The period of a member's statement; an empty date takes the last twelve months."""

    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, today: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.today = today
        style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            data["start"], data["end"] = statement_period(data.get("start"), data.get("end"),
                                                          today=self.today)
        except ValidationError as error:
            self.add_error(None, error)
        return data
