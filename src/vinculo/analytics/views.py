"""Analytics pages: the dashboard (charts read from snapshots), the demand forecast, CSV exports,
the recompute button with its progress bar (htmx polling), cost rates, the 360° panel, and
plotly.min.js."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View

from vinculo.analytics import charts, demand, drivers, selectors, services
from vinculo.analytics.models import CostRate
from vinculo.core.db import ReplicaReadMixin
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import role_has
from vinculo.core.views_base import RecordMixin
from vinculo.customers.models import Account
from vinculo.sales.documents.selectors import INDICATORS


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _chosen_dates(request: Any) -> tuple[list[dt.date], dt.date | None, dt.date | None]:
    """(all snapshot dates, the date shown, the earlier date of the migration matrix)."""
    dates = selectors.snapshot_dates()
    as_of = _date(request.GET.get("as_of"))
    if as_of not in dates:
        as_of = dates[0] if dates else None
    since = _date(request.GET.get("from"))
    if since not in dates or as_of is None or since >= as_of:
        # The migration compares an earlier date with the one shown: by default the snapshot
        # just before it (the last two dates); with a single date there is nothing to compare.
        older = [d for d in dates if as_of and d < as_of]
        since = older[0] if older else None
    return dates, as_of, since


def datasets(name: str, request: Any, as_of: dt.date | None,
             since: dt.date | None) -> tuple[list[str], list[list[Any]]]:
    """The data behind each figure, as (header, rows), for the CSV exports.

    The demand forecasts read their own ``as_of``/``months``/``horizon`` from the query
    (a ``ValidationError`` names a bad one); the other figures use the snapshot dates.
    """
    if name in FORECASTS:
        return forecast_rows(_forecast(name, demand.parameters(request.GET)))
    if name == "retention":
        rows = selectors.retention_by_month(as_of=as_of)
        return ([_("Month"), _("Active customers"), _("Retained"), _("Retention (%)"),
                 _("Churn (%)")],
                [[r["month"], r["active"], r["retained"], r["retention"], r["churn"]]
                 for r in rows])
    if name == "conversion":
        from vinculo.sales.selectors import conversion_funnel

        rows = conversion_funnel(user=request.user)
        return ([_("Source"), _("Leads"), _("Opportunities"),
                 pgettext("opportunities", "Won"), pgettext("opportunities", "Lost"),
                 _("Win rate (%)")],
                [[r["label"], r["leads"], r["opportunities"], r["won"], r["lost"], r["win_rate"]]
                 for r in rows])
    if name == "delivery":
        d = selectors.delivery_service(as_of=as_of, user=request.user)
        return ([_("From"), _("To"), _("Orders due"), _("On time"), _("Late or open"),
                 _("On-time delivery (%)"), _("Order fill rate (%)"), _("Line fill rate (%)"),
                 _("Unit fill rate (%)")],
                [[d["from"], d["to"], d["orders_due"], d["on_time"], d["late"],
                  d["on_time_rate"], d["order_fill_rate"], d["line_fill_rate"],
                  d["unit_fill_rate"]]])
    if as_of is None:
        return [], []
    if name in ("recency", "clv"):
        field = "recency_days" if name == "recency" else "clv"
        rows = selectors.histogram(as_of, field)
        return ([_("From"), _("To"), _("Customers")],
                [[r["from"], r["to"], r["customers"]] for r in rows])
    if name in ("top_clv", "top_profit"):
        rows = selectors.top_customers(as_of, by=name[4:], limit=100)
        return ([_("Account"), _("CLV"), _("Profit"), _("Revenue"), _("Segment"), _("P(alive)"),
                 _("Value tier")],
                [[r["account__name"], r["clv"], r["profit"], r["revenue"], r["segment_label"],
                  r["p_alive"], r["tier_label"]] for r in rows])
    if name == "whale":
        w = selectors.whale(as_of)
        return ([_("Customers (%)"), _("Cumulative profit (%)")],
                [[p["share"], p["profit_pct"]] for p in w["points"]])
    if name == "segments":
        rows = selectors.segment_sizes(as_of)
        return ([_("Segment"), _("Customers"), _("CLV"), _("Revenue"), _("Profit")],
                [[r["label"], r["customers"], r["clv"], r["revenue"], r["profit"]]
                 for r in rows])
    if name == "tiers":
        rows = selectors.tier_sizes(as_of)
        return ([_("Value tier"), _("Customers"), _("CLV"), _("Revenue"), _("Profit")],
                [[r["label"], r["customers"], r["clv"], r["revenue"], r["profit"]]
                 for r in rows])
    if name == "migration" and since is not None:
        m = selectors.migration_between(since, as_of)
        header = [f"{since} \\ {as_of}", *m.column_labels, _("Total")]
        return header, [[lab, *counts, total] for lab, counts, total in m.labelled]
    raise Http404


FORECASTS = ("forecast_products", "forecast_customers")
EXPORTS = ("retention", "conversion", "delivery", "recency", "clv", "top_clv", "top_profit",
           "whale", "segments", "tiers", "migration", *FORECASTS)


def _forecast(name: str, params: dict[str, Any]) -> demand.DemandForecast:
    if name == "forecast_customers":
        return demand.customer_forecast(**params)
    return demand.product_forecast(**params)


def forecast_rows(result: demand.DemandForecast) -> tuple[list[str], list[list[Any]]]:
    """One row per series: code, name, method, MASE, the monthly history, then the forecast."""
    header = [_("Code"), _("Name"), _("Forecast method"), _("MASE"),
              *[f"{m:%Y-%m}" for m in result.months],
              *[_("%(month)s (forecast)") % {"month": f"{m:%Y-%m}"} for m in result.future]]
    rows = [[s.code, s.name, s.method_label, "" if s.mase is None else round(s.mase, 3),
             *[round(v, 3) for v in s.history], *[round(v, 3) for v in s.forecast]]
            for s in result.series]
    return header, rows


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())


class DashboardView(ReplicaReadMixin, RoleRequiredMixin, View):
    """Every figure of the analytical CRM, read from the snapshots of one date."""

    permission = "analytics.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        from vinculo.sales.selectors import conversion_funnel

        dates, as_of, since = _chosen_dates(request)
        context: dict[str, Any] = {
            "dates": dates, "as_of": as_of, "since": since, "run": selectors.latest_run(),
            "can_run": role_has(request.user.role, "analytics.run"),
            "can_manage": role_has(request.user.role, "analytics.manage"),
            "query": request.GET.urlencode(),
        }
        done = selectors.latest_done_run()
        context.update({"contracts": selectors.contract_models(done),
                        "drivers": selectors.purchase_drivers(done)})
        retention = selectors.retention_by_month(as_of=as_of)
        funnel = conversion_funnel(user=request.user)
        context.update({
            "retention_chart": charts.retention(retention) if retention else None,
            "conversion_chart": charts.conversion(funnel) if funnel else None,
            "delivery": selectors.delivery_service(as_of=as_of, user=request.user),
            "indicators": INDICATORS,
        })
        if as_of is not None:
            migration = (selectors.migration_between(since, as_of) if since is not None
                         else None)
            segments = selectors.segment_sizes(as_of)
            whale = selectors.whale(as_of)
            context.update({
                "totals": selectors.totals(as_of),
                "segments": segments,
                "segments_chart": charts.segments(segments),
                "tiers": selectors.tier_sizes(as_of),
                "profit_segments": selectors.tier_sizes(as_of, "profit_segment"),
                "recency_chart": charts.histogram(selectors.histogram(as_of, "recency_days"),
                                                  x_title=_("Days since last purchase")),
                "clv_chart": charts.histogram(selectors.histogram(as_of, "clv"),
                                              x_title=_("CLV")),
                "whale": whale, "whale_chart": charts.whale(whale) if whale["points"] else None,
                "top_clv": selectors.top_customers(as_of, by="clv"),
                "top_profit": selectors.top_customers(as_of, by="profit"),
                "migration": migration,
                "migration_chart": charts.migration(migration) if migration else None,
            })
        return render(request, "analytics/dashboard.html", context)


class ExportView(ReplicaReadMixin, RoleRequiredMixin, View):
    """The data of one dashboard figure as CSV."""

    permission = "analytics.view"

    def get(self, request: HttpRequest, name: str) -> HttpResponse:
        if name not in EXPORTS:
            raise Http404
        _dates, as_of, since = _chosen_dates(request)
        if name in FORECASTS:
            as_of = _date(request.GET.get("as_of")) or dt.date.today()
        try:
            header, rows = datasets(name, request, as_of, since)
        except ValidationError as exc:
            return HttpResponseBadRequest(_errors(exc), content_type="text/plain; charset=utf-8")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{as_of or "none"}.csv"'
        writer = csv.writer(response)
        writer.writerow(header)
        writer.writerows(rows)
        return response


class ForecastView(ReplicaReadMixin, RoleRequiredMixin, View):
    """Demand forecast per product (or per top customer): table, chart of one series, CSV."""

    permission = "analytics.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        tab = "customers" if request.GET.get("tab") == "customers" else "products"
        select = "account" if tab == "customers" else "product"
        kept = {k: v for k in ("as_of", "months", "horizon", "tab")
                if (v := request.GET.get(k))}
        context: dict[str, Any] = {
            "tab": tab, "select": select, "query": request.GET.urlencode(),
            "export": f"forecast_{tab}",
            "kept": urlencode({k: v for k, v in kept.items() if k != "tab"}),
            "select_query": urlencode(kept),
        }
        try:
            params = demand.parameters(request.GET)
        except ValidationError as exc:
            context["errors"] = _errors(exc)
            return render(request, "analytics/forecast.html", context, status=400)
        result = _forecast(context["export"], params)
        chosen = result.get(request.GET.get(select))
        context.update({"result": result, "chosen": chosen, "params": params})
        if chosen is not None:
            context["chart"] = charts.demand_forecast(
                result.months, chosen.history, result.future, chosen.forecast,
                y_title=_("Amount ordered") if tab == "customers" else _("Quantity"))
        return render(request, "analytics/forecast.html", context)


class RunView(RoleRequiredMixin, View):
    """GET: the progress fragment of the latest run (polled by htmx). POST: start a run."""

    permission = "analytics.view"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            self.permission = "analytics.run"
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "analytics/_run.html", {"run": selectors.latest_run()})

    def post(self, request: HttpRequest) -> HttpResponse:
        as_of = _date(request.POST.get("as_of"))
        services.analytics_run_start(organization=request.user.organization, as_of=as_of,
                                     actor=request.user)
        if request.htmx:
            return render(request, "analytics/_run.html", {"run": selectors.latest_run()})
        return HttpResponseRedirect(reverse("analytics:dashboard"))


class CostRatesView(RoleRequiredMixin, View):
    """What each activity costs (per order, per delivery, …): the cost-to-serve rates."""

    permission = "analytics.view"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            self.permission = "analytics.manage"
        return super().dispatch(request, *args, **kwargs)

    def _rows(self, errors: dict[str, str] | None = None, posted: Any = None) -> list[dict]:
        current = {r.driver: r.rate for r in CostRate.objects.all()}
        return [{"driver": name, "label": label,
                 "rate": (posted.get(name) if posted is not None
                          else current.get(name, Decimal(0))),
                 "error": (errors or {}).get(name, "")}
                for name, label in drivers.labels().items()]

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "analytics/cost_rates.html", {
            "rows": self._rows(),
            "can_manage": role_has(request.user.role, "analytics.manage")})

    def post(self, request: HttpRequest) -> HttpResponse:
        errors: dict[str, str] = {}
        values: dict[str, Decimal] = {}
        for driver in drivers.names():
            raw = (request.POST.get(driver) or "0").strip().replace(",", ".")
            try:
                values[driver] = Decimal(raw)
                if values[driver] < 0 or not values[driver].is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors[driver] = _("Enter a number of zero or more.")
        if not errors:
            try:
                for driver, rate in values.items():
                    services.cost_rate_update(organization=request.user.organization,
                                              driver=driver, rate=rate, actor=request.user)
            except ValidationError as exc:
                errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        if errors:
            return render(request, "analytics/cost_rates.html", {
                "rows": self._rows(errors, request.POST), "can_manage": True}, status=400)
        messages.success(request, _("Cost rates saved; they apply from the next recomputation."))
        return HttpResponseRedirect(reverse("analytics:cost_rates"))


class CustomerPanelView(RecordMixin, View):
    """The analytics card of an account's 360° page (loaded by htmx)."""

    model = Account
    permission = "analytics.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        account = self.get_object()
        return render(request, "analytics/_customer_panel.html",
                      {"panel": selectors.customer_panel(account), "account": account})
