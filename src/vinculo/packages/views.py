"""Pages of service packages: the list with each package's promise and measures and the
migration matrix; the package form (Settings); the changes of package with the pending
downgrades a manager approves; the 360° account panel and the assignment by hand. Thin: forms
collect, services and selectors decide."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.core.forms import apply_service_errors
from vinculo.core.pagination import paginate
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError
from vinculo.core.views_base import RecordDeleteView, RecordMixin, flash_error
from vinculo.core.views_settings import SettingsEditView
from vinculo.customers.models import Account
from vinculo.packages import measures, selectors, services
from vinculo.packages.forms import AssignForm, PackageForm, rule_json
from vinculo.packages.models import PackageChange, ServicePackage

#: The measures the list shows, in order, with their headings.
COLUMNS = (
    ("customers", gettext_lazy("Customers in the period"), "int"),
    ("on_time_rate", gettext_lazy("On-time delivery"), "pct"),
    ("fill_rate", gettext_lazy("Fill rate"), "pct"),
    ("sla_compliance", gettext_lazy("SLA compliance"), "pct"),
    ("csat", gettext_lazy("CSAT"), "num"),
    ("nps", gettext_lazy("NPS"), "num"),
    ("complaints_per_100_orders", gettext_lazy("Complaints per 100 orders"), "num"),
    ("return_rate", gettext_lazy("Returns per 100 orders"), "num"),
    ("credit_notes_per_100_invoices", gettext_lazy("Credit notes per 100 invoices"), "num"),
    ("revenue_per_customer", gettext_lazy("Revenue per customer"), "money"),
    ("cost_to_serve_per_customer", gettext_lazy("Cost to serve per customer"), "money"),
    ("profit_per_customer", gettext_lazy("Profit per customer"), "money"),
)
PERIODS = (30, 90, 365)


class PackageListView(RoleRequiredMixin, View):
    permission = "packages.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            days = int(request.GET.get("days") or 90)
        except ValueError:
            days = 90
        days = days if days in PERIODS else 90
        end = timezone.localdate()
        start = end - dt.timedelta(days=days)
        packages = list(selectors.packages_with_counts().select_related(
            "price_list", "account_manager", "team"))
        # organisation-wide revenue, cost to serve and profit: for those who read analytics
        show_measures = role_has(request.user.role, "analytics.view")
        found = measures.measures(start=start, end=end) if show_measures else {}
        rows = []
        for package in packages:
            values = {"customers": 0, **found.get(package.pk, {})}
            rows.append({"package": package, "cells": [
                (values.get(key), kind) for key, _label, kind in COLUMNS]})
        names = {p.pk: p.name for p in packages}
        matrix = measures.migration_matrix(start=start, end=end) if show_measures else {}
        order = [p.pk for p in packages] + [None]
        sources = [k for k in order if any((k, t) in matrix for t in order)]
        targets = [k for k in order if any((s, k) in matrix for s in order)]
        none = _("No package")
        return render(request, "packages/package_list.html", {
            "rows": rows, "columns": [(label, kind) for _k, label, kind in COLUMNS],
            "days": days, "periods": PERIODS, "start": start, "end": end,
            "show_measures": show_measures,
            "can_manage": role_has(request.user.role, "packages.manage"),
            "matrix_targets": [names.get(t, none) for t in targets],
            "matrix": [(names.get(s, none), [matrix.get((s, t), 0) for t in targets])
                       for s in sources],
            "pending": selectors.pending_changes(request.user).count(),
        })


class PackageEditView(SettingsEditView):
    model = ServicePackage
    permission = "packages.manage"
    form_class = PackageForm
    create_service = staticmethod(services.package_create)
    update_service = staticmethod(services.package_update)
    instance_kwarg = "package"
    template_name = "packages/package_form.html"
    title = gettext_lazy("Service package")

    def service_kwargs(self, form: Any) -> dict[str, Any]:
        return {"services": form.cleaned_data.get("services_text") or []}

    def success_url(self, record: Any) -> str:
        return reverse("packages:package_list")

    def context(self, form: Any) -> dict[str, Any]:
        record = form.instance
        return {"back": reverse("packages:package_list"), "full_rule": form.full_rule,
                "checks": ("channels", "profit_segments", "value_tiers"),
                "rule_json": rule_json(record.rule) if form.full_rule else ""}


class PackageDeleteView(RecordDeleteView):
    model = ServicePackage
    permission = "packages.manage"
    delete_service = staticmethod(services.package_delete)
    deactivate_service = staticmethod(services.package_deactivate)
    instance_kwarg = "package"
    list_url = "packages:package_list"


class EvaluateView(RoleRequiredMixin, View):
    """Place every customer by the rules now (what each analytics recompute does)."""

    permission = "packages.manage"

    def post(self, request: HttpRequest) -> HttpResponse:
        result = services.packages_evaluate(organization=request.user.organization,
                                            actor=request.user)
        messages.success(request, _("Packages re-evaluated: %(applied)d customers moved, "
                                    "%(pending)d waiting for approval.")
                         % {"applied": result.applied, "pending": result.pending})
        return HttpResponseRedirect(reverse("packages:package_list"))


class ChangeListView(RoleRequiredMixin, View):
    permission = "packages.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status") or ""
        rows = (PackageChange.objects.restrict(request.user)
                .select_related("account", "from_package", "to_package", "actor")
                .order_by("-on", "-id"))
        if status:
            rows = rows.filter(status=status)
        page = paginate(rows, page=request.GET.get("page"), size=request.GET.get("size"),
                        default_size=50)
        return render(request, "packages/change_list.html", {
            "page": page, "status": status,
            "can_approve": role_has(request.user.role, "packages.approve")})


class ChangeDecideView(RecordMixin, View):
    model = PackageChange
    permission = "packages.approve"

    def post(self, request: HttpRequest, uuid: UUID, decision: str) -> HttpResponse:
        change = self.get_object()
        service = {"approve": services.change_approve,
                   "reject": services.change_reject}.get(decision)
        if service is None:
            raise Http404
        try:
            service(actor=request.user, change=change)
            messages.success(request, _("Approved.") if decision == "approve"
                             else _("Rejected."))
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(reverse("packages:change_list") + "?status=pending")


def _account(request: HttpRequest, key: str) -> Account:
    try:
        account = Account.objects.all().restrict(request.user).filter(uuid=key).first()
    except (ValueError, ValidationError):
        account = None
    if account is None:
        raise Http404
    return account


class AccountPanelView(RoleRequiredMixin, View):
    """The 360° account page's box (``core.record_panels``): the package and its history."""

    permission = "packages.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        label, _sep, key = (request.GET.get("record") or "").partition(":")
        if label.lower() != "customers.account":
            raise Http404
        account = _account(request, key)
        return render(request, "packages/_account_panel.html", {
            "account": account, "current": selectors.package_of(account),
            "history": selectors.history(account, 10),
            "can_assign": role_has(request.user.role, "packages.assign")})


class ReleaseView(RoleRequiredMixin, View):
    """Hand a customer set by hand back to the rules (the next recompute places them)."""

    model = Account
    permission = "packages.assign"

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        account = _account(request, str(uuid))
        services.package_release(actor=request.user, account=account)
        messages.success(request, _("The rules place this customer from the next recompute."))
        return HttpResponseRedirect(reverse("customers:account_detail",
                                            kwargs={"uuid": account.uuid}))


class AssignView(RoleRequiredMixin, View):
    model = Account  # the page of one of the user's accounts (the tenancy walk probes it)
    permission = "packages.assign"

    def render_form(self, account: Account, form: AssignForm, status: int = 200
                    ) -> HttpResponse:
        return render(self.request, "packages/assign.html", {
            "account": account, "form": form, "current": selectors.package_of(account),
            "back": reverse("customers:account_detail", kwargs={"uuid": account.uuid})},
            status=status)

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        account = _account(request, str(uuid))
        return self.render_form(account, AssignForm())

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        account = _account(request, str(uuid))
        form = AssignForm(request.POST)
        if not form.is_valid():
            return self.render_form(account, form, 400)
        try:
            change = services.package_assign(actor=request.user, account=account,
                                             package=form.cleaned_data["package"],
                                             reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(account, form, 400)
        messages.success(request, _("Saved.") if change.status == "applied" else
                         _("The downgrade waits for a manager's approval."))
        return HttpResponseRedirect(reverse("customers:account_detail",
                                            kwargs={"uuid": account.uuid}))
