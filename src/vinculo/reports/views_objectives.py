"""Pages of objectives (actual against objective, trend, pace) and of the roles' management
dashboards. Thin: the figures come from ``objectives``/``dashboards``, the writes from
``services_objectives``."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import Role, role_has
from vinculo.core.views_base import RecordMixin, flash_error, uuid_param
from vinculo.core.views_settings import SettingsEditView
from vinculo.reports import dashboards, services_objectives
from vinculo.reports.forms_objectives import ObjectiveForm, WidgetAddForm
from vinculo.reports.models import Dashboard, Objective, Widget
from vinculo.reports.objectives import progress, visible_objectives
from vinculo.reports.selectors import visible_reports

LIST_LIMIT = 60


class ObjectiveListView(RoleRequiredMixin, View):
    """Every objective the user sees (measuring each is its own page's and the dashboards'
    work: one indicator's figure is several queries)."""

    permission = "objectives.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "reports/objective_list.html",
                      {"rows": list(visible_objectives(request.user)[:LIST_LIMIT])})


class ObjectiveLookup(RecordMixin):
    model = Objective

    def get_object(self) -> Any:
        return get_object_or_404(visible_objectives(self.request.user), uuid=self.kwargs["uuid"])


class ObjectiveDetailView(ObjectiveLookup, View):
    """One objective measured now: actual, objective, pace, trend."""

    permission = "objectives.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        return render(request, "reports/objective_detail.html",
                      {"p": progress(self.get_object())})


class ObjectiveEditView(ObjectiveLookup, SettingsEditView):
    permission = "objectives.change"
    form_class = ObjectiveForm
    create_service = staticmethod(services_objectives.objective_create)
    update_service = staticmethod(services_objectives.objective_update)
    instance_kwarg = "objective"
    template_name = "reports/objective_form.html"
    list_url = "reports:objective_list"
    title = gettext_lazy("Objective")

    def success_url(self, record: Any) -> str:
        return reverse("reports:objective_detail", kwargs={"uuid": record.uuid})

    def context(self, form: Any) -> dict[str, Any]:
        return {"back": reverse("reports:objective_list")}


class ObjectiveDeleteView(ObjectiveLookup, View):
    permission = "objectives.delete"

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        objective = self.get_object()
        services_objectives.objective_delete(actor=request.user, objective=objective)
        messages.success(request, _("Deleted: %(name)s") % {"name": objective})
        return HttpResponseRedirect(reverse("reports:objective_list"))


def _role(request: HttpRequest) -> str:
    """The dashboard shown: the user's role's; an administrator may look at any role's."""
    wanted = request.GET.get("role") or request.POST.get("role") or ""
    if wanted in Role.values and role_has(request.user.role, "reports.dashboards"):
        return wanted
    return request.user.role


class DashboardView(RoleRequiredMixin, View):
    """The management dashboard of the user's role, with the cards they may read."""

    permission = "reports.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        role = _role(request)
        dashboard = dashboards.dashboard_for(request.user.organization, role)
        return render(request, "reports/dashboard.html", {
            "dashboard": dashboard, "cards": dashboards.cards(dashboard, request.user),
            "role": role, "roles": Role.choices,
            "may_arrange": role_has(request.user.role, "reports.dashboards")})


class DashboardArrangeView(RoleRequiredMixin, View):
    """The administrator arranges a role's dashboard: add a report or an objective, move a
    card up or down, remove it."""

    permission = "reports.dashboards"

    def _page(self, request: HttpRequest, dashboard: Dashboard, form: WidgetAddForm,
              status: int = 200) -> HttpResponse:
        return render(request, "reports/dashboard_arrange.html", {
            "dashboard": dashboard, "form": form, "role": dashboard.role,
            "widgets": list(dashboard.widgets.select_related("report", "objective")),
            "roles": Role.choices}, status=status)

    def _form(self, request: HttpRequest, data: Any = None) -> WidgetAddForm:
        return WidgetAddForm(data, reports=visible_reports(request.user),
                             objectives=visible_objectives(request.user))

    def get(self, request: HttpRequest) -> HttpResponse:
        dashboard = dashboards.dashboard_for(request.user.organization, _role(request))
        return self._page(request, dashboard, self._form(request))

    def post(self, request: HttpRequest) -> HttpResponse:
        dashboard = dashboards.dashboard_for(request.user.organization, _role(request))
        form = self._form(request, request.POST)
        if not form.is_valid():
            return self._page(request, dashboard, form, status=400)
        kind, _sep, key = form.cleaned_data["item"].partition(":")
        found = uuid_param(key)
        try:
            if kind == "report":
                report = get_object_or_404(visible_reports(request.user), uuid=found)
                services_objectives.widget_add(actor=request.user, dashboard=dashboard,
                                               report=report)
            else:
                objective = get_object_or_404(visible_objectives(request.user), uuid=found)
                services_objectives.widget_add(actor=request.user, dashboard=dashboard,
                                               objective=objective)
        except ValidationError as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(
            reverse("reports:dashboard_arrange") + f"?role={dashboard.role}")


class WidgetChangeView(RecordMixin, View):
    """Move a card (``step`` up/down) or remove it (``remove``)."""

    model = Widget
    permission = "reports.dashboards"

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        widget = self.get_object()
        if "remove" in request.POST:
            services_objectives.widget_remove(actor=request.user, widget=widget)
        elif request.POST.get("step") in ("up", "down"):
            services_objectives.widget_move(actor=request.user, widget=widget,
                                            step=-1 if request.POST["step"] == "up" else 1)
        else:
            raise Http404
        role = Dashboard.objects.get(pk=widget.dashboard_id).role
        return HttpResponseRedirect(reverse("reports:dashboard_arrange") + f"?role={role}")
