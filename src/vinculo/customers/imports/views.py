"""Import, export and vCard pages. Thin: forms collect, ``services``/``exporting`` decide.

Import flow: upload (target + file) → mapping and options → preview (a dry run) → run →
progress (htmx polls a fragment every second) → result. A job is visible only to the user who
uploaded it, in their organisation; anyone else gets a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core.db import ReplicaReadMixin
from vinculo.core.files import serve
from vinculo.core.forms import apply_service_errors
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.views_base import RecordMixin, streamed_in_request_context
from vinculo.customers import selectors, views
from vinculo.customers.imports import exporting, vcard
from vinculo.customers.imports import services as importing
from vinculo.customers.imports.forms import OptionsForm, UploadForm
from vinculo.customers.imports.mapping import field_label
from vinculo.customers.imports.running import duplicate_text
from vinculo.customers.models import (
    AccountContact,
    Contact,
    ImportJob,
    ImportStatus,
)

ERRORS_ON_PAGE = 500


# ---- import pages -----------------------------------------------------------------------------


class ImportMixin(RoleRequiredMixin):
    model = ImportJob
    permission = "customers.import"

    def get_job(self) -> ImportJob:
        job = ImportJob.objects.filter(user=self.request.user, uuid=self.kwargs["uuid"]).first()
        if job is None:
            raise Http404
        return job


class ImportStartView(ImportMixin, View):
    template_name = "customers/import/upload.html"
    fixed_target = ""

    def render_form(self, form: UploadForm, status: int = 200) -> HttpResponse:
        recent = ImportJob.objects.filter(user=self.request.user).order_by("-created_at")[:10]
        return render(self.request, self.template_name, {
            "form": form, "recent": recent, "vcard": self.fixed_target == "contact"},
            status=status)

    def get_form(self, data: Any = None, files: Any = None) -> UploadForm:
        form = UploadForm(data, files, initial={"target": self.request.GET.get("target",
                                                                               "contact")})
        if self.fixed_target:
            form.fields["target"].widget = forms.HiddenInput()
            form.fields["target"].initial = self.fixed_target
            form.fields["file"].widget.attrs["accept"] = ".vcf"
            form.fields["file"].help_text = _("A .vcf file with one or many cards.")
        return form

    def get(self, request: HttpRequest) -> HttpResponseBase:
        return self.render_form(self.get_form())

    def post(self, request: HttpRequest) -> HttpResponseBase:
        form = self.get_form(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            job = importing.import_job_create(actor=request.user,
                                              target=form.cleaned_data["target"],
                                              file=form.cleaned_data["file"],
                                              require_columns=False)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(form, status=400)
        return HttpResponseRedirect(reverse("customers:import_mapping", kwargs={"uuid": job.uuid}))


class ImportMappingView(ImportMixin, View):
    """Columns → fields (suggested from the headers), duplicate mode, all-or-nothing."""

    template_name = "customers/import/mapping.html"

    def form(self, job: ImportJob, data: Any = None) -> tuple[OptionsForm, list[list[str]]]:
        headers, sample = importing.table_preview(job)
        initial = {"duplicate_mode": job.duplicate_mode, "all_or_nothing": job.all_or_nothing}
        for index, header in enumerate(headers):
            initial[f"col_{index}"] = job.mapping.get(header, "")
        form = OptionsForm(data, initial=initial, headers=headers,
                           choices=importing.field_choices(job.target, job.organization_id))
        return form, sample

    def render_form(self, job: ImportJob, form: OptionsForm, sample: list[list[str]],
                    status: int = 200) -> HttpResponse:
        columns = form.column_fields()
        # each column's first non-empty values, beside its field
        examples = [[row[i] for row in sample if i < len(row) and row[i].strip()]
                    for i in range(len(columns))]
        return render(self.request, self.template_name, {
            "job": job, "form": form, "sample": sample,
            "columns": list(zip(columns, examples, strict=True)),
            "vcard": not form.headers, "mapping_hint": getattr(form, "mapping_hint", [])},
                      status=status)

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        job = self.get_job()
        if not job.dry_run:
            return HttpResponseRedirect(reverse("customers:import_detail", kwargs={"uuid": uuid}))
        form, sample = self.form(job)
        if form.headers:
            try:
                importing.check_mapping(job.target, form.headers, job.mapping,
                                        job.organization_id)
            except ValidationError as exc:
                form.mapping_hint = exc.messages
        return self.render_form(job, form, sample)

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        job = self.get_job()
        form, sample = self.form(job, request.POST)
        if not form.is_valid():
            return self.render_form(job, form, sample, status=400)
        try:
            job = importing.import_job_configure(
                actor=request.user, job=job, mapping=form.mapping(),
                duplicate_mode=form.cleaned_data["duplicate_mode"],
                all_or_nothing=form.cleaned_data["all_or_nothing"])
            job = importing.import_job_start(actor=request.user, job=job,
                                             dry_run=request.POST.get("action") != "run")
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(job, form, sample, status=400)
        return HttpResponseRedirect(reverse("customers:import_detail", kwargs={"uuid": uuid}))


class ImportRunView(ImportMixin, View):
    """Run for real an import that was previewed."""

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        job = self.get_job()
        try:
            importing.import_job_start(actor=request.user, job=job, dry_run=False)
        except ValidationError as exc:
            return render(request, "customers/import/detail.html",
                          {**_job_context(job), "start_error": " ".join(exc.messages)},
                          status=409)
        return HttpResponseRedirect(reverse("customers:import_detail", kwargs={"uuid": uuid}))


def _error_field(target: str, key: str | None) -> str:
    """An error's field as the mapping step names it ("E-mail"), never the model's key."""
    if not key:
        return ""
    try:
        return field_label(target, key)
    except (KeyError, FieldDoesNotExist):
        return key


def _job_context(job: ImportJob) -> dict[str, Any]:
    finished = job.status in (ImportStatus.DONE, ImportStatus.FAILED)
    return {
        "job": job, "finished": finished,
        "errors": [{**e, "field": _error_field(job.target, e.get("field"))}
                   for e in job.errors[:ERRORS_ON_PAGE]],
        "more_errors": max(0, len(job.errors) - ERRORS_ON_PAGE),
        "duplicates": [duplicate_text(d, "card" if job.original_name.lower().endswith(".vcf")
                                      else "line") for d in job.duplicates[:ERRORS_ON_PAGE]],
        "more_duplicates": max(0, len(job.duplicates) - ERRORS_ON_PAGE),
        "new_accounts": job.new_accounts[:ERRORS_ON_PAGE],
        "more_new_accounts": max(0, len(job.new_accounts) - ERRORS_ON_PAGE),
        "bad_lines": len({e.get("line") for e in job.errors if e.get("line") is not None}),
        "nothing_written": job.all_or_nothing and bool(job.errors) and not job.dry_run,
    }


class ImportDetailView(ImportMixin, View):
    """Progress while the job runs; the preview or the result when it is done."""

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        return render(request, "customers/import/detail.html", _job_context(self.get_job()))


class ImportProgressView(ImportMixin, View):
    """The progress fragment htmx polls; once the job is done it sends the browser on."""

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        job = self.get_job()
        response = render(request, "customers/import/_progress.html", {"job": job})
        if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            response["HX-Redirect"] = reverse("customers:import_detail", kwargs={"uuid": uuid})
        return response


class ImportErrorsView(ImportMixin, View):
    """Every error of a job as CSV (the page shows the first few hundred)."""

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        job = self.get_job()
        rows = ([e.get("line") or "", e.get("field", ""), e.get("message", "")]
                for e in job.errors)
        headers = [_("Card") if job.original_name.lower().endswith(".vcf") else _("Line"),
                   _("Field"), _("Error")]
        response = StreamingHttpResponse(
            exporting.csv_lines(headers, ([exporting.safe_cell(v) for v in r] for r in rows)),
            content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-errors-{job.uuid}.csv"'
        return response


class ImportFileView(ImportMixin, View):
    """The file as it was uploaded, to the user who imported it (core/files.py)."""

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        job = self.get_job()
        return serve(job.file, filename=job.original_name or "import")


# ---- export -----------------------------------------------------------------------------------


class ExportView(ReplicaReadMixin, RoleRequiredMixin, View):
    """The list as the list page shows it (same filters, same sort, same visibility)."""

    permission = "customers.export"
    target = ""
    list_view: Any = None

    def queryset(self) -> Any:
        list_view = self.list_view
        params = self.request.GET.copy()
        params.pop("format", None)
        params.pop("page", None)
        model = list_view.model
        filterset = list_view.filterset_class(params or None,
                                              queryset=selectors.visible(model, self.request.user),
                                              request=self.request)
        if filterset.is_bound and not filterset.is_valid():
            raise ValidationError(filterset.errors.as_text())
        queryset = filterset.qs if filterset.is_bound else filterset.queryset
        requested = params.get("sort", "")
        allowed = {c.sort for c in list_view.columns if c.sort}
        sort = requested if requested.lstrip("-") in allowed else list_view.default_sort
        return queryset.order_by(sort, "-id" if sort.startswith("-") else "id")

    def filename(self, extension: str) -> str:
        return f"{self.target}s-{timezone.localdate():%Y%m%d}.{extension}"

    def get(self, request: HttpRequest) -> HttpResponseBase:
        fmt = request.GET.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            return HttpResponseBadRequest(_("Choose format=csv or format=xlsx."))
        try:
            queryset = self.queryset()
        except ValidationError as exc:
            return HttpResponseBadRequest(" ".join(exc.messages))
        exporter = exporting.Exporter(self.target, queryset, request.user.organization_id)
        headers = exporter.headers()
        if fmt == "csv":
            response = StreamingHttpResponse(
                streamed_in_request_context(request.user.organization_id,
                        exporting.csv_lines(headers, exporter.rows())),
                content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{self.filename("csv")}"'
            return response
        handle = exporting.xlsx_file(headers, exporter.rows(), title=str(self.list_view.title))
        return FileResponse(
            handle, as_attachment=True, filename=self.filename("xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class AccountExportView(ExportView):
    target = "account"
    list_view = views.AccountListView


class ContactExportView(ExportView):
    target = "contact"
    list_view = views.ContactListView


class LeadExportView(ExportView):
    target = "lead"
    list_view = views.LeadListView


# ---- vCard ------------------------------------------------------------------------------------

VCARD_TYPE = "text/vcard; charset=utf-8"


def _with_cards(queryset: Any) -> Any:
    from django.db.models import Prefetch

    return queryset.prefetch_related(
        "tags", Prefetch("memberships", queryset=AccountContact.objects.select_related("account")))


class ContactVCardListView(ContactExportView):
    """The filtered contact list as one .vcf file, streamed."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        try:
            queryset = _with_cards(self.queryset())
        except ValidationError as exc:
            return HttpResponseBadRequest(" ".join(exc.messages))
        response = StreamingHttpResponse(
            streamed_in_request_context(request.user.organization_id,
                    vcard.contacts_vcf(queryset.iterator(chunk_size=exporting.CHUNK_SIZE))),
            content_type=VCARD_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{self.filename("vcf")}"'
        return response


class ContactVCardView(RecordMixin, View):
    """One contact's card. Whoever may see the contact may take its card."""

    model = Contact
    permission = "customers.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponseBase:
        contact = self.get_object()
        contact = _with_cards(Contact.objects.filter(pk=contact.pk)).get()
        response = HttpResponse(vcard.contact_vcard(contact), content_type=VCARD_TYPE)
        slug = "".join(ch if ch.isalnum() else "-" for ch in contact.full_name)[:60] or "contact"
        response["Content-Disposition"] = f'attachment; filename="{slug}.vcf"'
        return response


class ContactVCardImportView(ImportStartView):
    """Upload a .vcf: then the same options, preview and result pages as a CSV import."""

    fixed_target = "contact"

    def post(self, request: HttpRequest) -> HttpResponseBase:
        request.POST = request.POST.copy()
        request.POST["target"] = "contact"
        return super().post(request)

