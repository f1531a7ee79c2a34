"""The campaign results page and its CSV: the funnel, the lift over the control group, the
return on margin, the variants and the A/B winner."""

from __future__ import annotations

import csv
import math
import uuid
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from vinculo.core.formats import format_number
from vinculo.core.models import User
from vinculo.core.views_base import RecordMixin
from vinculo.marketing.models import Campaign
from vinculo.marketing.results import charts, selectors, services
from vinculo.marketing.results.attribution import FIRST_TOUCH, LAST_TOUCH

# Lazy: read at each request in the user's language (a plain gettext here ran once, at import,
# in the default language, so the Spanish page offered "Last touch").
MODELS = {LAST_TOUCH: gettext_lazy("Last touch"), FIRST_TOUCH: gettext_lazy("First touch")}


def _choices(request: HttpRequest) -> tuple[str, str, dict[str, str]]:
    """The attribution model and A/B metric asked for; unknown values are named, not 500."""
    errors: dict[str, str] = {}
    model = request.GET.get("model") or LAST_TOUCH
    if model not in MODELS:
        errors["model"] = _("Unknown attribution model: choose last touch or first touch.")
        model = LAST_TOUCH
    metric = request.GET.get("metric") or "conversion_rate"
    if metric not in selectors.METRICS:
        errors["metric"] = _("Unknown metric for the A/B winner.")
        metric = "conversion_rate"
    return model, metric, errors


def _pct(value: float | None, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{format_number(value, decimals)}\u00a0%"  # the sign never wraps to a line of its own


class CampaignResultsView(RecordMixin, View):
    """``/marketing/campaigns/<uuid>/results/``: ``?model=last|first&metric=…``."""

    model = Campaign
    permission = "marketing.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        campaign = self.get_object()
        attribution_model, metric, errors = _choices(request)
        result = selectors.results(campaign, model=attribution_model, metric=metric)
        lifted = result.lift
        context: dict[str, Any] = {
            "campaign": campaign, "result": result, "errors": errors,
            "model": attribution_model, "models": MODELS, "metric": metric,
            "metrics": {k: str(v) for k, v in selectors.METRICS.items()},
            "funnel_chart": charts.funnel(result.total, result.variants),
            "lift_chart": charts.lift(lifted) if lifted.measurable else None,
            "conversion_lift": [_pct(100 * v) for v in (
                lifted.conversion.estimate, lifted.conversion.low, lifted.conversion.high)],
            "roi_pct": _pct(None if result.roi.ratio is None else 100 * result.roi.ratio, 0),
            "p_value": (format_number(result.winner.p_value, 3)
                        if result.winner.p_value is not None
                        and not math.isnan(result.winner.p_value) else "—"),
            "query": request.GET.urlencode(),
            "channels": selectors.by_channel(request.user),
            "channel_columns": [(key, str(label)) for key, label in selectors.STEPS
                                if key != "delivered"],
        }
        return render(request, "marketing/results/campaign_results.html", context,
                      status=400 if errors else 200)


class CampaignResultsMarkView(RecordMixin, View):
    """POST: store each recipient's ``converted_at`` from the attribution (marketing.change)."""

    model = Campaign
    permission = "marketing.change"

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        campaign = self.get_object()
        count = services.conversions_mark(campaign=campaign, actor=cast(User, request.user))
        messages.success(request, ngettext("%(count)s recipient converted.",
                                           "%(count)s recipients converted.", count) % {
            "count": format_number(count)})
        return HttpResponseRedirect(reverse("marketing:campaign_results",
                                            kwargs={"uuid": campaign.uuid}))


class CampaignResultsExportView(RecordMixin, View):
    """The results as CSV: the funnel per variant, the lift with its interval, the ROI."""

    model = Campaign
    permission = "marketing.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        campaign = self.get_object()
        attribution_model, metric, errors = _choices(request)
        if errors:
            return HttpResponse("\n".join(errors.values()), status=400,
                                content_type="text/plain; charset=utf-8")
        result = selectors.results(campaign, model=attribution_model, metric=metric)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="campaign-{campaign.uuid}-results.csv"')
        writer = csv.writer(response)
        writer.writerow([_("Variant"), *[s.label for s in result.total.steps], _("Orders"),
                         _("Revenue"), _("Margin")])
        for group in [*result.variants, result.total]:
            name = group.name if group is not result.total else _("Total")
            writer.writerow([name, *[s.count for s in group.steps], group.orders,
                             group.revenue, group.margin])
        lifted, roi = result.lift, result.roi
        writer.writerow([])
        writer.writerow([_("Figure"), _("Estimate"), _("Low (95 %)"), _("High (95 %)")])
        for label, interval in ((_("Conversion lift (points)"), lifted.conversion),
                                (_("Revenue per member, difference"), lifted.revenue),
                                (_("Margin per member, difference"), lifted.margin)):
            scale = 100 if interval is lifted.conversion else 1
            writer.writerow([label, *[_csv_number(scale * v) for v in (
                interval.estimate, interval.low, interval.high)]])
        writer.writerow([])
        writer.writerow([_("Incremental margin"), roi.incremental_margin])
        writer.writerow([_("Cost"), roi.cost])
        writer.writerow([_("ROI"), "" if roi.ratio is None else round(roi.ratio, 4)])
        writer.writerow([_("Currency"), campaign.currency])
        return response


def _csv_number(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.4f}"

