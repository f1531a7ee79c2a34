"""The administrator's customer settings: the list of industries. Thin: the form collects,
the services decide."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy

from vinculo.core.views_base import RecordDeleteView
from vinculo.core.views_settings import SettingsEditView, SettingsListView
from vinculo.customers.models import Industry
from vinculo.customers.settings import services
from vinculo.customers.settings.forms import IndustryForm

PERMISSION = "customers.manage"


class IndustryListView(SettingsListView):
    model = Industry
    permission = PERMISSION
    template_name = "customers/settings/industry_list.html"


class IndustryEditView(SettingsEditView):
    model = Industry
    permission = PERMISSION
    form_class = IndustryForm
    create_service = staticmethod(services.industry_create)
    update_service = staticmethod(services.industry_update)
    instance_kwarg = "industry"
    template_name = "customers/settings/industry_form.html"
    title = gettext_lazy("Industry")

    def success_url(self, record: Any) -> str:
        return reverse("customers:industry_list")

    def context(self, form: Any) -> dict[str, Any]:
        return {"back": reverse("customers:industry_list")}


class IndustryDeleteView(RecordDeleteView):
    model = Industry
    permission = PERMISSION
    delete_service = staticmethod(services.industry_delete)
    instance_kwarg = "industry"
    list_url = "customers:industry_list"
