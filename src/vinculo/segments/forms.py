"""The segment builder's form: name, members, kind, and the rule as rows of conditions (or,
for nested groups, as JSON). Thin: it turns what people chose into the rule language; the
services check the rule and say which part is wrong."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.pickers import style
from vinculo.segments.models import Segment, SegmentKind, Subject
from vinculo.segments.rules.rows import Row

RULE_JSON_MAX_LENGTH = 20_000


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  max_length=TEXT_MAX_LENGTH,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    subject = forms.ChoiceField(label=_("Members are"), choices=Subject.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=SegmentKind.choices)
    match = forms.ChoiceField(label=_("Match"), required=False, choices=(
        ("all", _("all of the conditions (and)")), ("any", _("any of the conditions (or)"))))
    rule_json = forms.CharField(label=_("Rule (JSON)"), required=False,
                                max_length=RULE_JSON_MAX_LENGTH,
                                widget=forms.Textarea(attrs={"rows": 8}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, editing: Segment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing is not None:  # the members' kind stays what it was
            for name in ("subject", "kind"):
                self.fields[name].disabled = True
                self.fields[name].required = False
        style(self)


def rule_from_json(text: str) -> Any:
    """The rule typed as JSON, or a ``forms.ValidationError`` saying where it does not parse."""
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            _("The rule is not valid JSON (line %(line)d, column %(column)d).")
            % {"line": exc.lineno, "column": exc.colno}) from None


def attach_errors(rows: list[Row], errors: dict[str, list[str]]) -> list[str]:
    """Put each rule error under its row (``rule.conditions[2].value`` → row 2); return the
    errors of the rule as a whole."""
    general = []
    for path, messages in errors.items():
        head = path.removeprefix("rule.conditions[")
        index = head.split("]", 1)[0]
        if head != path and index.isdigit() and int(index) < len(rows):
            rows[int(index)].errors.extend(messages)
        else:
            general.extend(messages)
    return general


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (one e-mail or name per line)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)
