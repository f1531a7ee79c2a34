"""Forms of the sales settings pages: they collect; ``sales.settings.services`` decides."""

from __future__ import annotations

from vinculo.core.forms_settings import SettingsForm
from vinculo.sales.models import LostReason, Pipeline, Stage
from vinculo.sales.settings.services import LOST_REASON_FIELDS, PIPELINE_FIELDS, STAGE_FIELDS


class PipelineForm(SettingsForm):
    model = Pipeline
    field_names = PIPELINE_FIELDS


class StageForm(SettingsForm):
    model = Stage
    field_names = STAGE_FIELDS


class LostReasonForm(SettingsForm):
    model = LostReason
    field_names = LOST_REASON_FIELDS
