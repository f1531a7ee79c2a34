"""The data-capture page: what the saved reports need and how complete it is today ("report
first": the company sees which fields to start collecting, and where). Thin: ``capture.py``
reads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import role_has
from vinculo.reports.capture import TREND_MONTHS, data_capture


class DataCaptureView(RoleRequiredMixin, View):
    permission = "reports.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "reports/capture.html", {
            "datasets": data_capture(request.user), "months": TREND_MONTHS,
            "can_add": role_has(request.user.role, "reports.add")})
