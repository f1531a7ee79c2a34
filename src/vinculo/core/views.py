"""Pages of the core: home, global search, audit log, API tokens, custom fields, saved views."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core import plugins, services
from vinculo.core.forms import CustomFieldForm, SavedViewForm, apply_service_errors
from vinculo.core.history import history_rows
from vinculo.core.models import ApiToken, AuditEntry, CustomField
from vinculo.core.pagination import paginate
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import role_has
from vinculo.core.search import SEARCH_LIMIT, global_search


class HomeView(RoleRequiredMixin, View):
    """The panels the apps declare (``Contract.home_panels``) that the user's role may see,
    those meant first for the role (``HomePanel.first_for``) at the top."""

    def get(self, request: HttpRequest) -> HttpResponse:
        role = request.user.role
        shown = sorted((p for p in plugins.collect("home_panels") if role_has(role, p.permission)),
                       key=lambda p: (role not in p.first_for, p.order))
        panels = [{"key": panel.key, "template": panel.template, "wide": panel.wide,
                   "context": plugins.resolve(panel.context)(request.user)} for panel in shown]
        return render(request, "core/home.html", {"panels": panels})


class SearchView(RoleRequiredMixin, View):
    """The global search box: every app's search providers (``Contract.search``) that the
    user's role may read — accounts, contacts and leads by name, e-mail or phone, …"""

    limit = SEARCH_LIMIT

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()
        results = global_search(request.user, query, self.limit)
        template = "core/search_results.html" if request.htmx else "core/search.html"
        found = any(group.records for group in results)
        return render(request, template, {"query": query, "results": results, "found": found})


class AuditLogView(RoleRequiredMixin, View):
    permission = "audit.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        entries = AuditEntry.objects.select_related("actor").order_by("-timestamp", "-id")
        if request.GET.get("object_type"):
            entries = entries.filter(object_type=request.GET["object_type"])
        page = paginate(entries, page=request.GET.get("page"), size=50)
        return render(request, "core/audit_log.html",
                      {"page": page, "rows": history_rows(page.items)})


class TokenListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, new_key: str | None = None) -> HttpResponse:
        tokens = ApiToken.objects.filter(user=request.user)
        return render(request, "core/tokens.html", {"tokens": tokens, "new_key": new_key})

    def post(self, request: HttpRequest) -> HttpResponse:
        _token, key = services.api_token_create(
            user=request.user, name=request.POST.get("name", "")[:100]
        )
        messages.success(request, _("Token created. Copy it now: it will not be shown again."))
        return self.get(request, new_key=key)


class TokenRevokeView(LoginRequiredMixin, View):
    model = ApiToken

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        token = ApiToken.objects.filter(user=request.user, uuid=uuid).first()
        if token is None:
            raise Http404
        services.api_token_revoke(token=token)
        messages.success(request, _("Token revoked."))
        return HttpResponseRedirect(reverse("tokens"))


class CustomFieldListView(RoleRequiredMixin, View):
    permission = "core.manage_custom_fields"

    def render_page(self, form: CustomFieldForm, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "core/custom_fields.html",
            {"fields": CustomField.objects.all(), "form": form},
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(CustomFieldForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CustomFieldForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            services.custom_field_create(
                organization=request.user.organization,
                choices=form.choices(),
                **form.cleaned_data_for_service(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_page(form, status=400)
        messages.success(request, _("Custom field added."))
        return HttpResponseRedirect(reverse("custom_fields"))


class SavedViewCreateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = SavedViewForm(request.POST)
        next_url = request.POST.get("next", "/")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
            next_url = "/"
        if form.is_valid():
            services.saved_view_create(actor=request.user, **form.cleaned_data)
            messages.success(request, _("View saved."))
        return HttpResponseRedirect(next_url)
