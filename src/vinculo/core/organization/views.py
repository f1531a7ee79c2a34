"""The organisation's settings page (administrators) and its logo (served through a view that
only ever reads the caller's own organisation: no /media/ URL)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core.files import serve_logo
from vinculo.core.models import Organization
from vinculo.core.organization.forms import OrganizationForm
from vinculo.core.organization.services import organization_update
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.services import ConflictError


class OrganizationSettingsView(RoleRequiredMixin, View):
    permission = "core.manage_organization"

    def render_form(self, form: OrganizationForm, status: int = 200) -> HttpResponse:
        return render(self.request, "core/organization_settings.html",
                      {"form": form, "record": form.instance}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        organization = Organization.objects.get(pk=request.user.organization_id)
        return self.render_form(OrganizationForm(instance=organization))

    def post(self, request: HttpRequest) -> HttpResponse:
        organization = Organization.objects.get(pk=request.user.organization_id)
        form = OrganizationForm(request.POST, request.FILES, instance=organization)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            organization_update(
                actor=request.user, data=form.data_for_service(),
                expected_version=form.cleaned_data.get("version"),
                logo=form.cleaned_data.get("logo"),
                remove_logo=form.cleaned_data.get("remove_logo", False))
        except ValidationError as exc:
            form.show_service_errors(exc)
            return self.render_form(form, status=400)
        except ConflictError:
            form.add_error(None, _("Someone else changed this record while you were editing. "
                                   "Reload the page to see their change, then edit again."))
            return self.render_form(form, status=409)
        messages.success(request, _("The organisation's settings were saved."))
        return HttpResponseRedirect(reverse("organization_settings"))


class OrganizationLogoView(RoleRequiredMixin, View):
    """The signed-in user's organisation's logo; there is no way to name another's."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return serve_logo(Organization.objects.get(pk=request.user.organization_id).logo)
