"""Generic pages of an app's settings (mailboxes, queues, SLA policies…): a list of every
record of a small settings table, and the create/edit page that calls its services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from vinculo.core.views_base import RecordMixin, ServiceEditView


class SettingsListView(RecordMixin, View):
    """Every record of a small settings table, on one page."""

    template_name = ""

    def rows(self) -> Any:
        return self.model.objects.all()

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"rows": list(self.rows())})


class SettingsEditView(ServiceEditView):
    """Create (no uuid) or edit a settings record through its ``create_service`` and
    ``update_service``; the service's errors are shown where the form says
    (``form.show_service_errors``)."""

    def service_kwargs(self, form: Any) -> dict[str, Any]:
        """What the services take besides ``data`` (a password, targets, routes…)."""
        return {}

    def save(self, form: Any, instance: Any) -> Any:
        if not instance.pk:
            return type(self).create_service(
                actor=self.request.user, data=form.data_for_service(),
                **self.service_kwargs(form))
        return type(self).update_service(
            actor=self.request.user, data=form.data_for_service(),
            expected_version=form.cleaned_data.get("version"),
            **{self.instance_kwarg: instance}, **self.service_kwargs(form))

    def apply_errors(self, form: Any, exc: Any) -> None:
        form.show_service_errors(exc)

    def context(self, form: Any) -> dict[str, Any]:
        """More for the page than the form and the record."""
        return {}

    def render_form(self, form: Any, status: int = 200, **extra: Any) -> HttpResponse:
        return render(self.request, self.template_name, {
            "form": form, "record": form.instance, "title": self.title,
            **self.context(form), **extra}, status=status)
