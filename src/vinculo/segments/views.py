"""Segment pages: the list, the builder with its live count and sample (htmx), the detail
with members, movements and value, static lists (picker, CSV import), export, refresh and
delete. Thin: forms collect, services and selectors decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import FileResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core.pagination import paginate
from vinculo.core.services import ConflictError, PermissionDeniedError
from vinculo.core.views_base import (
    RecordDeleteView,
    RecordMixin,
    flash_error,
    streamed_in_request_context,
)
from vinculo.customers import selectors as customer_selectors
from vinculo.customers.imports import exporting
from vinculo.customers.models import Account, Contact
from vinculo.segments import rules, selectors, services
from vinculo.segments.forms import ImportForm, SegmentForm, attach_errors, rule_from_json
from vinculo.segments.models import Segment, SegmentKind, Subject
from vinculo.segments.rules.rows import Row, rows_from_post, rows_from_rule, rule_from_rows
from vinculo.segments.rules.wording import describe_rule


class SegmentListView(RecordMixin, View):
    permission = "segments.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        page = paginate(selectors.segment_list(request.user), page=request.GET.get("page"),
                        size=request.GET.get("page_size"))
        return render(request, "segments/segment_list.html", {"page": page})


class SegmentBuilderView(RecordMixin, View):
    """New or edit: the rule as rows (or JSON for nested groups); every change re-renders
    the rows and the live count and sample (htmx); "Save" goes through the services."""

    model = Segment

    @property
    def permission(self) -> str:  # type: ignore[override]
        return "segments.change" if "uuid" in self.kwargs else "segments.add"

    def registry(self) -> dict[str, Any]:
        return rules.fields(self.request.user.organization_id)

    def get(self, request: HttpRequest, uuid: Any = None) -> HttpResponse:
        segment = self.get_object() if uuid else None
        registry = self.registry()
        if segment is None:
            initial = {"subject": request.GET.get("subject", Subject.CONTACTS),
                       "kind": request.GET.get("kind", SegmentKind.RULE), "match": "all"}
            form = SegmentForm(initial=initial)
            rows: list[Row] | None = [Row(index=0)]
        else:
            form = SegmentForm(editing=segment, initial={
                "name": segment.name, "description": segment.description,
                "subject": segment.subject, "kind": segment.kind,
                "match": (segment.rule or {}).get("match", "all"),
                "rule_json": _pretty(segment.rule), "version": segment.version})
            rows = rows_from_rule(segment.rule or {}, registry)
        json_mode = rows is None or request.GET.get("mode") == "json"
        return self.page(form, segment, rows or [], json_mode, registry)

    def post(self, request: HttpRequest, uuid: Any = None) -> HttpResponse:
        segment = self.get_object() if uuid else None
        registry = self.registry()
        form = SegmentForm(request.POST, editing=segment)
        json_mode = request.POST.get("mode") == "json"
        rows = rows_from_post(request.POST, registry)
        if request.htmx and "save" not in request.POST:
            return self.live(form, segment, rows, json_mode, registry)
        if not form.is_valid():
            return self.page(form, segment, rows, json_mode, registry, status=400)
        data = form.cleaned_data
        try:
            rule = (rule_from_json(data["rule_json"]) if json_mode
                    else rule_from_rows(data["match"], rows))
        except Exception as exc:
            form.add_error("rule_json", exc)  # type: ignore[arg-type]
            return self.page(form, segment, rows, json_mode, registry, status=400)
        try:
            if segment is None:
                segment = services.segment_create(
                    actor=request.user, name=data["name"], description=data["description"],
                    subject=data["subject"], kind=data["kind"], rule=rule)
            else:
                segment = services.segment_update(
                    actor=request.user, segment=segment, expected_version=data["version"],
                    name=data["name"], description=data["description"], rule=rule)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            general = attach_errors(rows, {k: v for k, v in errors.items()
                                           if k.startswith("rule")})
            for key, messages_ in errors.items():
                if key in form.fields:
                    form.add_error(key, messages_)
                elif not key.startswith("rule"):
                    general.extend(messages_)
            if json_mode:
                general = [f"{k}: {' '.join(v)}" for k, v in errors.items()
                           if k.startswith("rule")] + general[len(errors):]
            for message in general:
                form.add_error(None, message)
            return self.page(form, segment, rows, json_mode, registry, status=400)
        except ConflictError:
            form.add_error(None, _("Someone else changed this segment while you were editing. "
                                   "Reload the page to see their change, then edit again."))
            return self.page(form, segment, rows, json_mode, registry, status=409)
        except PermissionDeniedError as exc:
            form.add_error(None, str(exc))
            return self.page(form, segment, rows, json_mode, registry, status=403)
        if segment.kind == SegmentKind.RULE:
            services.segment_refresh(segment=segment, actor=request.user)
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("segments:segment_detail", args=[segment.uuid]))

    def context(self, form: SegmentForm, segment: Segment | None, rows: list[Row],
                json_mode: bool, registry: dict[str, Any]) -> dict[str, Any]:
        groups: dict[str, list[tuple[str, str]]] = {}
        subject = (form.data.get("subject") if form.is_bound else form.initial.get("subject")
                   ) or (segment.subject if segment else Subject.CONTACTS)
        kind = (form.data.get("kind") if form.is_bound else form.initial.get("kind")
                ) or (segment.kind if segment else SegmentKind.RULE)
        for definition in registry.values():
            groups.setdefault(str(definition.group), []).append(
                (definition.name, str(definition.label)))
        return {"form": form, "segment": segment, "rows": rows, "json_mode": json_mode,
                "field_groups": groups, "subject": subject,
                "is_static": (segment.kind if segment else kind) == SegmentKind.STATIC,
                "preview": self.preview(form, segment, rows, json_mode, subject)}

    def preview(self, form: SegmentForm, segment: Segment | None, rows: list[Row],
                json_mode: bool, subject: str) -> dict[str, Any]:
        """The live count and sample, or the rule's errors (put under their rows)."""
        data = form.data if form.is_bound else form.initial
        if not json_mode:  # a row whose field is not chosen yet is no error while editing
            rows = [row for row in rows if row.field]
        try:
            rule = (rule_from_json(data.get("rule_json", "") or "") if json_mode
                    else rule_from_rows(data.get("match") or "all", rows))
            result = selectors.preview(rule, subject=subject,
                                       organization_id=self.request.user.organization_id,
                                       user=self.request.user,
                                       segment_uuid=segment.uuid if segment else None)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            if json_mode:
                return {"errors": [f"{k}: {' '.join(v)}" for k, v in errors.items()]}
            return {"errors": attach_errors(rows, errors)}
        except Exception as exc:
            return {"errors": list(getattr(exc, "messages", [str(exc)]))}
        return {"count": result["count"], "sample": result["sample"]}

    def page(self, form: SegmentForm, segment: Segment | None, rows: list[Row],
             json_mode: bool, registry: dict[str, Any], status: int = 200) -> HttpResponse:
        context = self.context(form, segment, rows, json_mode, registry)
        return render(self.request, "segments/segment_form.html", context, status=status)

    def live(self, form: SegmentForm, segment: Segment | None, rows: list[Row],
             json_mode: bool, registry: dict[str, Any]) -> HttpResponse:
        context = self.context(form, segment, rows, json_mode, registry)
        return render(self.request, "segments/_builder.html", context)


def _pretty(rule: Any) -> str:
    import json

    return json.dumps(rule or {}, ensure_ascii=False, indent=2)


class SegmentDetailView(RecordMixin, View):
    model = Segment
    permission = "segments.view"

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        segment = self.get_object()
        today = timezone.localdate()
        start = _day(request.GET.get("start"), today - dt.timedelta(days=7))
        end = _day(request.GET.get("end"), today)
        moves = selectors.movements(segment, start=start, end=end)
        members = selectors.members(segment, request.user).order_by(
            "name" if segment.subject == Subject.ACCOUNTS else "full_name", "id")
        page = paginate(members, page=request.GET.get("page"), size=request.GET.get("size"))
        registry = rules.fields(request.user.organization_id)
        return render(request, "segments/segment_detail.html", {
            "segment": segment, "record": segment, "page": page,
            "summary": selectors.value_summary(segment),
            "entered": list(moves["entered"][:50]), "left": list(moves["left"][:50]),
            "start": start, "end": end,
            "rule_lines": describe_rule(segment.rule, registry),
            "is_static": segment.kind == SegmentKind.STATIC,
            "list_url": reverse("customers:account_list" if segment.subject == Subject.ACCOUNTS
                                else "customers:contact_list"),
            "currency": request.user.organization.base_currency,
            "import_form": ImportForm(),
        })


def _day(raw: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


class SegmentRefreshView(RecordMixin, View):
    model = Segment
    permission = "segments.change"

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        segment = self.get_object()
        try:
            result = services.segment_refresh(segment=segment, actor=request.user)
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("%(entered)d entered, %(left)d left; %(members)d "
                                        "members now.") % result.__dict__)
        return HttpResponseRedirect(reverse("segments:segment_detail", args=[segment.uuid]))


class SegmentMembersView(RecordMixin, View):
    """Add a record picked by hand to a static list, or take one out."""

    model = Segment
    permission = "segments.change"

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        segment = self.get_object()
        model: Any = Account if segment.subject == Subject.ACCOUNTS else Contact
        visible = customer_selectors.visible(model, request.user)
        try:
            if request.POST.get("add"):
                record = visible.filter(uuid=_uuid(request.POST["add"])).first()
                if record is None:
                    raise ValidationError(_("Choose a record from the list."))
                services.segment_members_add(actor=request.user, segment=segment,
                                             records=[record])
                messages.success(request, _("Added: %(name)s") % {"name": record})
            elif request.POST.get("remove"):
                records = list(visible.filter(uuid=_uuid(request.POST["remove"])))
                services.segment_members_remove(actor=request.user, segment=segment,
                                                records=records)
                messages.success(request, _("Taken out of the list."))
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(reverse("segments:segment_detail", args=[segment.uuid]))


def _uuid(raw: str) -> Any:
    import uuid

    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


class SegmentImportView(RecordMixin, View):
    model = Segment
    permission = "segments.change"

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        segment = self.get_object()
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            flash_error(request, ValidationError(_("Choose a CSV file.")))
            return HttpResponseRedirect(reverse("segments:segment_detail", args=[segment.uuid]))
        try:
            result = services.segment_members_import(
                actor=request.user, segment=segment, content=form.cleaned_data["file"].read())
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
            return HttpResponseRedirect(reverse("segments:segment_detail", args=[segment.uuid]))
        return render(request, "segments/import_result.html",
                      {"segment": segment, "result": result})


class MemberPickerView(RecordMixin, View):
    """The short list under the static list's search box (htmx)."""

    model = Segment
    permission = "segments.change"

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        segment = self.get_object()
        query = request.GET.get("member_search", "").strip()
        model: Any = Account if segment.subject == Subject.ACCOUNTS else Contact
        found = []
        if len(query) >= 2:
            found = list(customer_selectors.search(
                customer_selectors.visible(model, request.user).filter(active=True), query)
                .order_by("name" if model is Account else "full_name")[:10])
        return render(request, "segments/_member_options.html", {"records": found})


class SegmentExportView(RecordMixin, View):
    """The members as CSV or XLSX, with the columns of the customers' own export."""

    model = Segment
    permission = "segments.export"

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponseBase:
        segment = self.get_object()
        fmt = request.GET.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            return HttpResponseBadRequest(_("Choose format=csv or format=xlsx."))
        target = "account" if segment.subject == Subject.ACCOUNTS else "contact"
        queryset = selectors.members(segment, request.user).order_by("id")
        exporter = exporting.Exporter(target, queryset, request.user.organization_id)
        headers = exporter.headers()
        name = f"segment-{timezone.localdate():%Y%m%d}.{fmt}"
        if fmt == "csv":
            response = StreamingHttpResponse(
                streamed_in_request_context(request.user.organization_id,
                                            exporting.csv_lines(headers, exporter.rows())),
                content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        handle = exporting.xlsx_file(headers, exporter.rows(), title=segment.name)
        return FileResponse(handle, as_attachment=True, filename=name, content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))


class SegmentDeleteView(RecordDeleteView):
    model = Segment
    permission = "segments.delete"
    delete_service = staticmethod(services.segment_delete)
    instance_kwarg = "segment"
    list_url = "segments:segment_list"
