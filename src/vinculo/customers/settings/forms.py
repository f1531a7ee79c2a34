"""Form of the industries settings page: it collects; ``customers.settings.services`` decides."""

from __future__ import annotations

from vinculo.core.forms_settings import SettingsForm
from vinculo.customers.models import Industry
from vinculo.customers.settings.services import INDUSTRY_FIELDS


class IndustryForm(SettingsForm):
    model = Industry
    field_names = INDUSTRY_FIELDS
