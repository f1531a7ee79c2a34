"""The administrator's sales settings: pipelines and their stages, reasons for losing.
Thin: forms collect, services decide; a refusal (a stage still in use…) is a message."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.core.views_base import RecordMixin, flash_error, uuid_param
from vinculo.core.views_settings import SettingsEditView, SettingsListView
from vinculo.sales.models import LostReason, Pipeline, Stage
from vinculo.sales.services import pipeline_default
from vinculo.sales.settings import services
from vinculo.sales.settings.forms import LostReasonForm, PipelineForm, StageForm

PERMISSION = "sales.manage"


class PipelineListView(SettingsListView):
    model = Pipeline
    permission = PERMISSION
    template_name = "sales/settings/pipeline_list.html"

    def rows(self) -> Any:
        # the default pipeline is made with the usual stages on first need (as the board does)
        pipeline_default(organization=self.request.user.organization)
        return Pipeline.objects.prefetch_related("stages").order_by("-is_default", "name")


class PipelineEditView(SettingsEditView):
    model = Pipeline
    permission = PERMISSION
    form_class = PipelineForm
    create_service = staticmethod(services.pipeline_settings_create)
    update_service = staticmethod(services.pipeline_update)
    instance_kwarg = "pipeline"
    template_name = "sales/settings/form.html"
    detail_url = "sales:pipeline_settings_update"
    title = gettext_lazy("Pipeline")

    def context(self, form: Any) -> dict[str, Any]:
        return {"back": reverse("sales:pipeline_settings_list")}


class StageEditView(SettingsEditView):
    """A stage of a pipeline: new at ``stages/new/?pipeline=<uuid>``, edited by its uuid."""

    model = Stage
    permission = PERMISSION
    form_class = StageForm
    update_service = staticmethod(services.stage_update)
    instance_kwarg = "stage"
    template_name = "sales/settings/form.html"
    title = gettext_lazy("Stage")

    def instance(self) -> Any:
        if "uuid" in self.kwargs:
            return self.get_object()
        pipeline = uuid_param(self.request.GET.get("pipeline"))
        if pipeline is None:
            raise Http404
        return Stage(organization_id=self.request.user.organization_id,
                     pipeline=get_object_or_404(Pipeline.objects.all(), uuid=pipeline))

    def save(self, form: Any, instance: Any) -> Any:
        if not instance.pk:
            return services.stage_create(actor=self.request.user, pipeline=instance.pipeline,
                                         data=form.data_for_service())
        return super().save(form, instance)

    def success_url(self, record: Any) -> str:
        return reverse("sales:pipeline_settings_list") + f"#pipeline-{record.pipeline.uuid}"

    def context(self, form: Any) -> dict[str, Any]:
        return {"back": reverse("sales:pipeline_settings_list")}


class StageMoveView(RecordMixin, View):
    model = Stage
    permission = PERMISSION

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        stage = self.get_object()
        try:
            services.stage_move(actor=request.user, stage=stage,
                                step=-1 if request.POST.get("step") == "up" else 1)
        except ValidationError as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(reverse("sales:pipeline_settings_list")
                                    + f"#pipeline-{stage.pipeline.uuid}")


class SettingsDeleteView(RecordMixin, View):
    """Remove a record through its service; a refusal (still in use) is said, not a 500."""

    permission = PERMISSION
    list_url = ""

    def delete(self, record: Any) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        record = self.get_object()
        try:
            messages.success(request, self.delete(record))
        except ValidationError as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(reverse(self.list_url))


class PipelineDeleteView(SettingsDeleteView):
    model = Pipeline
    list_url = "sales:pipeline_settings_list"

    def delete(self, record: Any) -> str:
        services.pipeline_delete(actor=self.request.user, pipeline=record)
        return _("Deleted: %(name)s") % {"name": record}


class StageDeleteView(SettingsDeleteView):
    model = Stage
    list_url = "sales:pipeline_settings_list"

    def delete(self, record: Any) -> str:
        services.stage_delete(actor=self.request.user, stage=record)
        return _("Deleted: %(name)s") % {"name": record}


class LostReasonListView(SettingsListView):
    model = LostReason
    permission = PERMISSION
    template_name = "sales/settings/lost_reason_list.html"


class LostReasonEditView(SettingsEditView):
    model = LostReason
    permission = PERMISSION
    form_class = LostReasonForm
    create_service = staticmethod(services.lost_reason_create)
    update_service = staticmethod(services.lost_reason_update)
    instance_kwarg = "reason"
    template_name = "sales/settings/form.html"
    title = gettext_lazy("Reason for losing")

    def success_url(self, record: Any) -> str:
        return reverse("sales:lost_reason_list")

    def context(self, form: Any) -> dict[str, Any]:
        return {"back": reverse("sales:lost_reason_list")}


class LostReasonDeleteView(SettingsDeleteView):
    model = LostReason
    list_url = "sales:lost_reason_list"

    def delete(self, record: Any) -> str:
        if services.lost_reason_delete(actor=self.request.user, reason=record):
            return _("Deleted: %(name)s") % {"name": record}
        return _("Opportunities were lost for “%(name)s”, so it was deactivated instead: it is "
                 "no longer offered.") % {"name": record}
