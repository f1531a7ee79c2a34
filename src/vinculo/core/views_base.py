"""Generic page views that every domain list and detail page is made of."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from vinculo.core.deletion import REFUSALS, InUseError, in_use_error
from vinculo.core.forms import apply_service_errors
from vinculo.core.models import SavedView
from vinculo.core.pagination import order_matches, paginate
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import role_has
from vinculo.core.services import ConflictError, PermissionDeniedError
from vinculo.core.tenancy import organization_scope


def flash_error(request: Any, exc: Exception) -> None:
    """Show a service's refusal (a ``ValidationError`` or a role refusal) as a page message."""
    messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError)
                   else str(exc))


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    sort: str | None = None  # the ordering field, when the column can be sorted


class RecordListView(RoleRequiredMixin, TemplateView):
    """Filter (one filterset for page and API), sort, paginate without counting, saved views."""

    template_name = "includes/record_list.html"
    model: Any = None
    filterset_class: Any = None
    columns: tuple[Column, ...] = ()
    default_sort = ""
    list_name = ""
    title = ""
    create_url = ""
    row_template = ""
    export_url = ""
    # Who sees the "New" and export buttons (the shared template was written for the customer
    # lists; another app's list names its own permissions).
    add_permission = "customers.add"
    export_permission = "customers.export"

    def base_queryset(self) -> QuerySet:
        return self.model.objects.all().restrict(self.request.user)

    def sort_key(self) -> str:
        requested = self.request.GET.get("sort", "")
        allowed = {c.sort for c in self.columns if c.sort}
        if requested.lstrip("-") in allowed:
            return requested
        return self.default_sort

    def tiebreak(self, sort: str) -> list[str]:
        """What orders rows that tie on ``sort``, so pages neither repeat nor skip rows (the
        id; a list of grouped rows, which has none, names its group's keys)."""
        return ["-id" if sort.startswith("-") else "id"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filterset = self.filterset_class(
            self.request.GET or None, queryset=self.base_queryset(), request=self.request
        )
        for field in filterset.form.fields.values():
            css = (
                "form-select form-select-sm"
                if hasattr(field, "choices")
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)
        queryset = (
            filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        )
        sort = self.sort_key()
        ordering = [sort, *self.tiebreak(sort)]
        if self.request.GET.get("q", "").strip():
            queryset = order_matches(queryset, ordering)
        else:
            queryset = queryset.order_by(*ordering)
        page = paginate(
            queryset, page=self.request.GET.get("page"), size=self.request.GET.get("page_size")
        )
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            {
                "title": self.title,
                "filterset": filterset,
                "page": page,
                "columns": self.columns,
                "sort": sort,
                "query_string": params.urlencode(),
                "list_name": self.list_name,
                "create_url": self.create_url,
                "row_template": self.row_template,
                "export_url": self.export_url,
                "can_add": role_has(self.request.user.role, self.add_permission),
                "can_export": role_has(self.request.user.role, self.export_permission),
                "saved_views": SavedView.objects.filter(
                    user=self.request.user, list_name=self.list_name
                ),
            }
        )
        return context

    def get_template_names(self) -> list[str]:
        if self.request.htmx:
            return ["includes/record_table.html"]
        return [self.template_name]


class RecordMixin(RoleRequiredMixin):
    """Looks a record up by UUID among those the user may see: anything else is a 404."""

    model: Any = None

    def get_object(self) -> Any:
        queryset = self.model.objects.all().restrict(self.request.user)
        try:
            return queryset.get(uuid=self.kwargs["uuid"])
        except self.model.DoesNotExist:
            raise Http404 from None


class ServiceEditView(RecordMixin, View):
    """Create (no uuid) or edit a record through its service; conflicts come back as errors."""

    form_class: Any = None
    create_service: Any = None
    update_service: Any = None
    instance_kwarg = ""
    template_name = ""
    detail_url = ""
    list_url = ""  # where Cancel goes from a new record's form (home when not set)
    title: Any = ""

    def instance(self) -> Any:
        if "uuid" in self.kwargs:
            return self.get_object()
        return self.model(organization_id=self.request.user.organization_id)

    def create(self, form: Any) -> Any:
        return type(self).create_service(actor=self.request.user, data=form.data_for_service())

    def save(self, form: Any, instance: Any) -> Any:
        """Call the create or update service with what the form collected."""
        if not instance.pk:
            return self.create(form)
        return type(self).update_service(
            actor=self.request.user,
            data=form.data_for_service(),
            expected_version=form.cleaned_data.get("version"),
            **{self.instance_kwarg: instance},
        )

    def success_url(self, record: Any) -> str:
        return reverse(self.detail_url, kwargs={"uuid": record.uuid})

    def cancel_url(self, instance: Any) -> str:
        """Where the form's Cancel goes: the record's page, or the list for a new record. A
        real address: ``javascript:history.back()`` is a script the Content-Security-Policy
        (script-src 'self') refuses to run, so such a Cancel did nothing."""
        try:
            if instance.pk:
                return self.success_url(instance)
            return reverse(self.list_url) if self.list_url else reverse("home")
        except NoReverseMatch:  # a view whose success is not a page of the record
            return reverse("home")

    def apply_errors(self, form: Any, exc: ValidationError) -> None:
        """Show the service's refusal on the form (on the field it names)."""
        apply_service_errors(form, exc)

    def render_form(self, form: Any, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {"form": form, "record": form.instance, "title": self.title,
             "cancel_url": self.cancel_url(form.instance)},
            status=status,
        )

    def initial(self) -> dict[str, Any]:
        """What a new record's form starts with (by default, the query string)."""
        return self.request.GET.dict()

    def form_kwargs(self) -> dict[str, Any]:
        """More for the form's constructor than the instance and the user."""
        return {}

    def get(self, request: HttpRequest, uuid: UUID | None = None) -> HttpResponse:
        form = self.form_class(instance=self.instance(), user=request.user,
                               initial=self.initial(), **self.form_kwargs())
        return self.render_form(form)

    def post(self, request: HttpRequest, uuid: UUID | None = None) -> HttpResponse:
        instance = self.instance()
        form = self.form_class(request.POST, instance=instance, user=request.user,
                               **self.form_kwargs())
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            record = self.save(form, instance)
        except ValidationError as exc:
            self.apply_errors(form, exc)
            return self.render_form(form, status=400)
        except ConflictError:
            form.add_error(
                None,
                _(
                    "Someone else changed this record while you were editing. "
                    "Reload the page to see their change, then edit again."
                ),
            )
            return self.render_form(form, status=409)
        except PermissionDeniedError as exc:
            form.add_error(None, str(exc))
            return self.render_form(form, status=403)
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(self.success_url(record))


class RecordDeleteView(RecordMixin, View):
    """Confirm, then remove a record through its ``delete_service(actor=…,
    <instance_kwarg>=record)``; a refusal is shown and nothing is removed. While other records
    point to it (``ProtectedError``), the confirmation page comes back (409) naming them, and
    offers deactivation when the record has an ``active`` flag (``deactivate_service``)."""

    delete_service: Any = None
    #: ``deactivate_service(actor=…, <instance_kwarg>=record)``: offered instead of deleting
    #: a record others still point to.
    deactivate_service: Any = None
    instance_kwarg = ""
    list_url = ""
    template_name = "includes/confirm_delete.html"

    def redirect_url(self, record: Any) -> str:
        return reverse(self.list_url)

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        return render(request, self.template_name, {"record": self.get_object()})

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        record = self.get_object()
        if request.POST.get("deactivate") and type(self).deactivate_service is not None:
            return self.deactivate(request, record)
        target = self.redirect_url(record)
        try:
            type(self).delete_service(actor=request.user, **{self.instance_kwarg: record})
        except REFUSALS as exc:
            return self.in_use(request, record, in_use_error(record, exc))
        except InUseError as exc:
            return self.in_use(request, record, exc)
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Deleted: %(name)s") % {"name": record})
        return HttpResponseRedirect(target)

    def in_use(self, request: HttpRequest, record: Any, exc: InUseError) -> HttpResponse:
        """The confirmation again, with what still points to the record and, where it can
        be, the offer to deactivate it."""
        return render(request, self.template_name, {
            "record": record, "in_use": exc,
            "can_deactivate": exc.can_deactivate and type(self).deactivate_service is not None,
        }, status=409)

    def deactivate(self, request: HttpRequest, record: Any) -> HttpResponse:
        try:
            record = type(self).deactivate_service(actor=request.user,
                                                   **{self.instance_kwarg: record})
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
            return HttpResponseRedirect(self.redirect_url(record))
        messages.success(request, _("Deactivated: %(name)s") % {"name": record})
        return HttpResponseRedirect(self.redirect_url(record))


def uuid_param(value: str | None) -> uuid.UUID | None:
    """A record id from a link's query string; None when missing or malformed, because a bad
    link should prefill nothing rather than fail."""
    try:
        return uuid.UUID(value) if value else None
    except (ValueError, TypeError):
        return None


def streamed_in_request_context(organization_id: int, rows: Iterable[str]) -> Iterator[str]:
    """A streamed body produced in the request's organisation scope and language: both end
    with the middleware, before the server consumes the stream (the organisation's rows and
    their choice labels are read then). Called in the view: the language is taken now."""
    language = translation.get_language()

    def stream() -> Iterator[str]:
        with organization_scope(organization_id), translation.override(language):
            yield from rows

    return stream()
