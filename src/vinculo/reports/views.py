"""Pages of reports: the list, the builder with its live preview (htmx), a report's page with
its chart and table, CSV/XLSX export, delete. Thin: the definition checks, the selectors
read and the services write."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core.models import Team
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import Role, role_has
from vinculo.core.services import ConflictError, PermissionDeniedError
from vinculo.core.views_base import RecordDeleteView
from vinculo.reports import charts, exports, forms, present, registry, selectors, services
from vinculo.reports.definition import AGGREGATES, BUCKETS, CHARTS, OPERATORS, check
from vinculo.reports.models import Report, ReportSchedule
from vinculo.reports.pdf import report_pdf
from vinculo.reports.query import ReportTimeout, Result, timeout_message

VIEW, ADD, CHANGE = "reports.view", "reports.add", "reports.change"


class ReportLookup(RoleRequiredMixin):
    """A report among those the user sees (theirs and those shared with them), else 404."""

    model = Report

    def get_object(self) -> Report:
        try:
            return selectors.visible_reports(self.request.user).get(uuid=self.kwargs["uuid"])
        except Report.DoesNotExist:
            raise Http404 from None


class ReportListView(RoleRequiredMixin, View):
    permission = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        reports = list(selectors.visible_reports(request.user).prefetch_related("shares"))
        labels = {s.key: s.label for s in registry.sources().values()}
        for report in reports:
            report.dataset_label = labels.get(report.definition.get("dataset"), "")
            report.is_shared = bool(report.shares.all())
        return render(request, "reports/report_list.html", {
            "reports": reports, "can_add": role_has(request.user.role, ADD)})


def _result_context(result: Result | None, chart: str) -> dict[str, Any]:
    if result is None:
        return {}
    numeric = [present.numeric(c) for c in result.columns]
    return {"result": result, "warnings": result.warnings(),
            "table": [list(zip(row, numeric, strict=True)) for row in present.table(result)],
            "numeric": numeric,
            "figure": charts.figure(result, chart),
            "pivot": charts.pivot(result) if chart == "pivot" else None}


def builder_context(request: HttpRequest, values: dict[str, Any],
                    run: bool = True) -> dict[str, Any]:
    """Everything the builder draws: the choices for the current dataset, the values, and the
    live preview (or the refusal naming what is wrong)."""
    user = request.user
    datasets = registry.readable(user)
    current = next((s for s in datasets if s.key == values.get("dataset")), None)
    if current is None and datasets:
        current = datasets[0]
        values["dataset"] = current.key
    fields = registry.readable_fields(user, current) if current else []
    context: dict[str, Any] = {
        "values": values, "datasets": datasets, "dataset": current, "fields": fields,
        "groupable": [f for f in fields if f.groupable],
        "buckets": BUCKETS, "aggregates": AGGREGATES, "charts": CHARTS,
        "operators": OPERATORS,
        "filter_rows": [{"i": i, "field": values.get(f"f{i}_field", ""),
                         "op": values.get(f"f{i}_op", ""), "value": values.get(f"f{i}_value", "")}
                        for i in range(forms.FILTER_ROWS)],
        "group_rows": [{"i": i, "field": values.get(f"g{i}_field", ""),
                        "bucket": values.get(f"g{i}_bucket", "")}
                       for i in range(forms.GROUP_ROWS)],
        "aggregate_rows": [{"i": i, "fn": values.get(f"a{i}_fn", ""),
                            "field": values.get(f"a{i}_field", "")}
                           for i in range(forms.AGGREGATE_ROWS)],
        "selected_columns": set(values.get("columns") or []),
        "selected_roles": set(values.get("shared_roles") or []),
        "selected_teams": set(values.get("shared_teams") or []),
        "roles": Role.choices, "teams": Team.objects.order_by("name"),
        "can_share": role_has(user.role, "reports.share"),
    }
    if not run or current is None:
        return context
    definition = forms.definition_from(_as_querydict(values))
    try:
        checked = check(definition, user)
    except ValidationError as refused:
        context["errors"] = [m for messages_ in refused.message_dict.values()
                             for m in messages_]
        return context
    context["sort_options"] = [(c.key, c.label) for c in _columns(checked)]
    try:
        result = selectors.report_result(checked, user, sample_when_empty=True)
        fill = selectors.fill_rates(checked, user)
    except ReportTimeout as stopped:
        context["timeout"] = timeout_message(stopped.args[0])
        return context
    context.update(_result_context(result, checked.chart))
    context["fill"] = fill
    return context


def _columns(checked: Any) -> list[Any]:
    from vinculo.reports.query import columns_of

    return columns_of(checked)


def _as_querydict(values: dict[str, Any]) -> Any:
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in values.items():
        if isinstance(value, list):
            data.setlist(key, [str(v) for v in value])
        elif value is not None:
            data[key] = str(value)
    return data


def _posted_values(request: HttpRequest) -> dict[str, Any]:
    values: dict[str, Any] = {key: request.POST.get(key, "") for key in request.POST
                              if key not in ("columns", "shared_roles", "shared_teams",
                                             "csrfmiddlewaretoken")}
    values["columns"] = request.POST.getlist("columns")
    values["shared_roles"] = request.POST.getlist("shared_roles")
    values["shared_teams"] = request.POST.getlist("shared_teams")
    if values.get("shown_dataset") and values.get("shown_dataset") != values.get("dataset"):
        # another dataset: its fields, from scratch
        values = {"dataset": values.get("dataset", ""), "name": values.get("name", ""),
                  "description": values.get("description", ""), "columns": [],
                  "shared_roles": values["shared_roles"], "shared_teams": values["shared_teams"]}
    return values


class ReportBuilderView(ReportLookup, View):
    """Create (no uuid) or edit a report: the fields on the left, the live preview beside."""

    permission = ADD

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.permission = CHANGE if "uuid" in kwargs else ADD
        return super().dispatch(request, *args, **kwargs)

    def _report(self) -> Report | None:
        if "uuid" not in self.kwargs:
            return None
        report = self.get_object()
        if report.owner_id != self.request.user.pk:
            raise Http404  # shared with them: they read it, only its owner edits it
        return report

    def get(self, request: HttpRequest, uuid: uuid.UUID | None = None) -> HttpResponse:
        report = self._report()
        values: dict[str, Any] = {"dataset": request.GET.get("dataset", "")}
        if report is not None:
            shares = list(report.shares.select_related("team"))
            values = {**forms.fields_from(report.definition), "name": report.name,
                      "description": report.description, "version": report.version,
                      "shared_roles": [s.role for s in shares if s.role],
                      "shared_teams": [str(s.team.uuid) for s in shares if s.team_id]}
        return render(request, "reports/builder.html",
                      {**builder_context(request, values), "report": report})

    def post(self, request: HttpRequest, uuid: uuid.UUID | None = None) -> HttpResponse:
        report = self._report()
        values = _posted_values(request)
        data = {"name": values.get("name", ""), "description": values.get("description", ""),
                "definition": forms.definition_from(request.POST)}
        if role_has(request.user.role, "reports.share"):
            data.update(shared_roles=values["shared_roles"], shared_teams=values["shared_teams"])
        try:
            if report is None:
                report = services.report_create(actor=request.user, data=data)
            else:
                version = request.POST.get("version", "")
                report = services.report_update(
                    actor=request.user, report=report, data=data,
                    expected_version=int(version) if version.isdigit() else None)
        except (ValidationError, ConflictError, PermissionDeniedError) as refused:
            context = builder_context(request, values)
            context["save_errors"] = (
                [m for ms in refused.message_dict.values() for m in ms]
                if isinstance(refused, ValidationError) and hasattr(refused, "error_dict")
                else [str(m) for m in getattr(refused, "messages", [refused])])
            context["report"] = report
            return render(request, "reports/builder.html", context, status=400)
        messages.success(request, _("Report saved."))
        return HttpResponseRedirect(reverse("reports:report_detail",
                                            kwargs={"uuid": report.uuid}))


class ReportPreviewView(RoleRequiredMixin, View):
    """The builder again, with the preview of what its fields say (htmx, on every change)."""

    permission = VIEW

    def post(self, request: HttpRequest) -> HttpResponse:
        return render(request, "reports/_builder.html",
                      builder_context(request, _posted_values(request)))


class ReportDetailView(ReportLookup, View):
    """The report's page; its figures come in by htmx from ``ReportResultView``, so the page
    answers at once and a slow report is cut off in its own request."""

    permission = VIEW

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        from vinculo.reports.views_schedules import schedule_summary

        try:  # the schedule in the same query as the report
            report = selectors.visible_reports(request.user).select_related("schedule").get(
                uuid=uuid)
        except Report.DoesNotExist:
            raise Http404 from None
        try:
            schedule: ReportSchedule | None = report.schedule
        except ReportSchedule.DoesNotExist:
            schedule = None
        return render(request, "reports/report_detail.html", {
            "report": report, "can_edit": report.owner_id == request.user.pk,
            **schedule_summary(schedule)})


class ReportResultView(ReportLookup, View):
    """A saved report's figures (chart, table or pivot), read with the reader's rights."""

    permission = VIEW

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        report = self.get_object()
        # on a dashboard (``compact``) a chart stands without its table; each figure has its
        # own id, as several share the page
        context: dict[str, Any] = {"report": report, "figure_id": f"report-figure-{report.uuid}",
                                   "compact": request.GET.get("compact") == "1"}
        try:
            checked = check(report.definition, request.user)
        except ValidationError as refused:
            context["errors"] = [m for ms in refused.message_dict.values() for m in ms]
            return render(request, "reports/_result.html", context)
        try:
            result = selectors.report_result(checked, request.user)
        except ReportTimeout as stopped:
            context["timeout"] = timeout_message(stopped.args[0])
        else:
            context.update(_result_context(result, checked.chart))
        return render(request, "reports/_result.html", context)


class ReportExportView(ReportLookup, View):
    permission = "reports.export"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        report = self.get_object()
        kind = request.GET.get("as", "csv")
        try:
            checked = check(report.definition, request.user)
            result = selectors.report_result(checked, request.user)
        except (ValidationError, ReportTimeout) as refused:
            messages.error(request, timeout_message(refused.args[0])
                           if isinstance(refused, ReportTimeout) else " ".join(refused.messages))
            return HttpResponseRedirect(reverse("reports:report_detail",
                                                kwargs={"uuid": report.uuid}))
        name = slugify(report.name) or slugify(_("report"))
        if kind == "xlsx":
            return FileResponse(exports.xlsx_file(result, title=report.name), as_attachment=True,
                                filename=f"{name}.xlsx")
        if kind == "pdf":
            response = HttpResponse(report_pdf(report, checked, result, request.user),
                                    content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            return response
        response = StreamingHttpResponse(exports.csv_text(result),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class ReportDeleteView(ReportLookup, RecordDeleteView):
    permission = "reports.delete"
    model = Report
    delete_service = staticmethod(services.report_delete)
    instance_kwarg = "report"
    list_url = "reports:report_list"
