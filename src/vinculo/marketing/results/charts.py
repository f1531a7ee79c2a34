"""The results page's figures as plain data (``analytics/charts.py`` style): drawn by
``static/vinculo/figures.js``, in the user's language and number format."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from vinculo.analytics.charts import Figure, _figure, count_axis
from vinculo.marketing.results.selectors import Group, Lift


def funnel(total: Group, variants: list[Group]) -> Figure:
    """Sent → delivered → opened → clicked → converted, one bar series per variant."""
    groups = variants if len(variants) > 1 else [total]
    data: list[dict[str, Any]] = [{
        "type": "bar", "name": group.name if len(groups) > 1 else _("Recipients"),
        "x": [step.label for step in group.steps], "y": [step.count for step in group.steps],
    } for group in groups]
    largest = max((count for series in data for count in series["y"]), default=0)
    return _figure(data, {"xaxis": {"type": "category"},
                          "yaxis": {"title": {"text": _("Recipients")}, **count_axis(largest)}},
                   legend=len(groups) > 1)


def lift(lifted: Lift) -> Figure:
    """Conversion rate of the treated and of the control group, with the difference's 95 %
    interval as the error bar on the treated."""
    rate = lifted.conversion
    control = 100 * lifted.control_converted / lifted.control if lifted.control else 0
    treated = 100 * lifted.treated_converted / lifted.treated if lifted.treated else 0
    return _figure([{
        "type": "bar", "x": [_("Control group"), _("Sent")], "y": [control, treated],
        "error_y": {"type": "data", "symmetric": False,
                    "array": [0, 100 * (rate.high - rate.estimate)],
                    "arrayminus": [0, 100 * (rate.estimate - rate.low)]},
        "name": _("Conversion rate (%)"),
    }], {"xaxis": {"type": "category"}, "yaxis": {"title": {"text": "%"},
                                                  "rangemode": "tozero"}})
