"""Administrators set up the pipelines, their stages and the reasons for losing: every rule
about what a pipeline must keep (one won stage, one lost stage, an open one) and what may not
go while records use it lives here, for the pages and the API alike."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vinculo.core.list_entries import entry_name, entry_order, refuse_taken_name
from vinculo.core.models import User
from vinculo.core.services import org_id, organization_of, refuse_unknown, require, versioned_save
from vinculo.sales.models import LostReason, Opportunity, Pipeline, Stage, StageChange, StageKind
from vinculo.sales.services import pipeline_create

PIPELINE_FIELDS = ("name", "is_default")
STAGE_FIELDS = ("name", "probability", "kind")
LOST_REASON_FIELDS = ("name", "order", "is_active")


def _name(data: dict[str, Any], limit: int) -> str:
    return entry_name(data.get("name"), limit)


# ---- pipelines ---------------------------------------------------------------------------------


def pipeline_settings_create(*, actor: User, data: dict[str, Any]) -> Pipeline:
    """A new pipeline with the usual stages, to be adjusted on its page."""
    require(actor, "sales.manage")
    refuse_unknown(data, PIPELINE_FIELDS)
    return pipeline_create(actor=actor, organization=organization_of(actor),
                           name=_name(data, 100), is_default=bool(data.get("is_default")))


@transaction.atomic
def pipeline_update(*, actor: User, pipeline: Pipeline, data: dict[str, Any],
                    expected_version: int | None) -> Pipeline:
    """Rename a pipeline or make it the default (the previous default stops being one)."""
    require(actor, "sales.manage")
    refuse_unknown(data, PIPELINE_FIELDS)
    if "name" in data:
        name = _name(data, 100)
        if Pipeline.objects.filter(name=name).exclude(pk=pipeline.pk).exists():
            raise ValidationError({"name": _("A pipeline with this name already exists.")})
        pipeline.name = name
    if data.get("is_default") and not pipeline.is_default:
        Pipeline.objects.exclude(pk=pipeline.pk).update(is_default=False)
        pipeline.is_default = True
    elif "is_default" in data and not data["is_default"] and pipeline.is_default:
        raise ValidationError({"is_default": _(
            "Make another pipeline the default instead: there is always one.")})
    return versioned_save(pipeline, expected_version=expected_version,
                          fields=["name", "is_default"])


@transaction.atomic
def pipeline_delete(*, actor: User, pipeline: Pipeline) -> None:
    """Remove a pipeline nobody uses; the default one and one holding opportunities stay."""
    require(actor, "sales.manage")
    used = Opportunity.objects.filter(pipeline=pipeline).count()
    if used:
        raise ValidationError(ngettext(
            "%(n)d opportunity is in this pipeline: move it to another pipeline first.",
            "%(n)d opportunities are in this pipeline: move them to another pipeline first.",
            used) % {"n": used})
    if pipeline.is_default:
        raise ValidationError(_("Make another pipeline the default before removing this one."))
    if StageChange.objects.filter(to_stage__pipeline=pipeline).exists():
        raise ValidationError(_(
            "Opportunities passed through this pipeline and their history names its stages: "
            "rename it instead of removing it."))
    pipeline.delete()


# ---- stages ------------------------------------------------------------------------------------


def _stage_values(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _name(data, 100)
    if "probability" in data:
        try:
            probability = Decimal(str(data["probability"]))
        except (InvalidOperation, ValueError):
            raise ValidationError({"probability": _("Enter a number.")}) from None
        if not Decimal(0) <= probability <= Decimal(100):
            raise ValidationError({"probability": _("Probabilities go from 0 to 100.")})
        values["probability"] = probability
    if "kind" in data:
        if data["kind"] not in StageKind.values:
            raise ValidationError({"kind": _("Choose open, won or lost.")})
        values["kind"] = data["kind"]
    return values


def _check_kinds(pipeline: Pipeline, kinds: list[str]) -> None:
    if kinds.count(StageKind.WON) != 1 or kinds.count(StageKind.LOST) != 1:
        raise ValidationError({"kind": _("A pipeline needs one won stage and one lost stage.")})
    if StageKind.OPEN not in kinds:
        raise ValidationError({"kind": _("A pipeline needs at least one open stage.")})


@transaction.atomic
def stage_create(*, actor: User, pipeline: Pipeline, data: dict[str, Any]) -> Stage:
    """Add an open stage at the end of the open ones (before won and lost)."""
    require(actor, "sales.manage")
    refuse_unknown(data, STAGE_FIELDS)
    values = {"kind": StageKind.OPEN, **_stage_values({**data, "name": data.get("name")})}
    values.setdefault("probability", Decimal(0))
    stages = list(Stage.objects.select_for_update().filter(pipeline=pipeline).order_by("order"))
    _check_kinds(pipeline, [s.kind for s in stages] + [values["kind"]])
    closed = [s for s in stages if s.kind != StageKind.OPEN]
    position = (min((s.order for s in closed), default=len(stages) + 1)
                if values["kind"] == StageKind.OPEN else len(stages) + 1)
    top = Stage.objects.filter(pipeline=pipeline).aggregate(top=Max("order"))["top"] or 0
    for stage in sorted((s for s in stages if s.order >= position), key=lambda s: -s.order):
        Stage.objects.filter(pk=stage.pk).update(order=stage.order + top + 1)
    for stage in (s for s in stages if s.order >= position):
        Stage.objects.filter(pk=stage.pk).update(order=stage.order + 1)
    return Stage.objects.create(organization_id=org_id(actor), pipeline=pipeline,
                                order=position, **values)


@transaction.atomic
def stage_update(*, actor: User, stage: Stage, data: dict[str, Any],
                 expected_version: int | None) -> Stage:
    """Rename a stage, change its probability, or its kind while no opportunity is in it."""
    require(actor, "sales.manage")
    refuse_unknown(data, STAGE_FIELDS)
    values = _stage_values(data)
    if values.get("kind", stage.kind) != stage.kind:
        if Opportunity.objects.filter(stage=stage).exists():
            raise ValidationError({"kind": _(
                "Opportunities are in this stage: its kind decides whether they are won or "
                "lost, so it stays while they are there.")})
        kinds = [values["kind"] if s.pk == stage.pk else s.kind
                 for s in Stage.objects.filter(pipeline_id=stage.pipeline_id)]
        _check_kinds(stage.pipeline, kinds)
    for key, value in values.items():
        setattr(stage, key, value)
    return versioned_save(stage, expected_version=expected_version, fields=list(values))


@transaction.atomic
def stage_move(*, actor: User, stage: Stage, step: int) -> Stage:
    """Swap a stage with its neighbour before (``step`` −1) or after (+1) it."""
    require(actor, "sales.manage")
    if step not in (-1, 1):
        raise ValidationError({"step": _("Move one place up or down.")})
    stages = list(Stage.objects.select_for_update().filter(pipeline_id=stage.pipeline_id)
                  .order_by("order"))
    index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
    other_index = index + step
    if not 0 <= other_index < len(stages):
        return stage
    other = stages[other_index]
    mine, theirs = stage.order, other.order
    top = max(s.order for s in stages)
    Stage.objects.filter(pk=stage.pk).update(order=top + 1)  # the (pipeline, order) key
    Stage.objects.filter(pk=other.pk).update(order=mine)
    Stage.objects.filter(pk=stage.pk).update(order=theirs)
    stage.refresh_from_db()
    return stage


@transaction.atomic
def stage_delete(*, actor: User, stage: Stage) -> None:
    """Remove a stage no opportunity is in (nor passed through) and the pipeline can spare."""
    require(actor, "sales.manage")
    used = Opportunity.objects.filter(stage=stage).count()
    if used:
        raise ValidationError(ngettext(
            "%(n)d opportunity is in this stage: move it to another stage first.",
            "%(n)d opportunities are in this stage: move them to another stage first.",
            used) % {"n": used})
    if StageChange.objects.filter(to_stage=stage).exists() or \
            StageChange.objects.filter(from_stage=stage).exists():
        raise ValidationError(_(
            "Opportunities passed through this stage and their history names it: rename it "
            "instead of removing it."))
    kinds = [s.kind for s in Stage.objects.filter(pipeline_id=stage.pipeline_id)
             .exclude(pk=stage.pk)]
    try:
        _check_kinds(stage.pipeline, kinds)
    except ValidationError:
        raise ValidationError(_(
            "A pipeline needs one won stage, one lost stage and an open one: this stage "
            "stays.")) from None
    stage.delete()


# ---- lost reasons ------------------------------------------------------------------------------


def _lost_reason_values(data: dict[str, Any], reason: LostReason | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _name(data, 200)
        refuse_taken_name(LostReason.objects.all(), values["name"], reason,
                          _("This reason is already in the list."))
    if "order" in data:
        values["order"] = entry_order(data["order"])
    if "is_active" in data:
        values["is_active"] = bool(data["is_active"])
    return values


def lost_reason_create(*, actor: User, data: dict[str, Any]) -> LostReason:
    require(actor, "sales.manage")
    refuse_unknown(data, LOST_REASON_FIELDS)
    values = _lost_reason_values({**data, "name": data.get("name")}, None)
    return LostReason.objects.create(organization_id=org_id(actor), **values)


@transaction.atomic
def lost_reason_update(*, actor: User, reason: LostReason, data: dict[str, Any],
                       expected_version: int | None) -> LostReason:
    """Rename (lost opportunities keep the words they were given), reorder, (de)activate."""
    require(actor, "sales.manage")
    refuse_unknown(data, LOST_REASON_FIELDS)
    values = _lost_reason_values(data, reason)
    for key, value in values.items():
        setattr(reason, key, value)
    return versioned_save(reason, expected_version=expected_version, fields=list(values))


@transaction.atomic
def lost_reason_delete(*, actor: User, reason: LostReason) -> bool:
    """Remove a reason no opportunity gave; one that was given is deactivated instead (the
    analyses still count it). Answers whether it was removed."""
    require(actor, "sales.manage")
    if Opportunity.objects.filter(lost_reason__iexact=reason.name).exists():
        if reason.is_active:
            reason.is_active = False
            versioned_save(reason, expected_version=None, fields=["is_active"])
        return False
    reason.delete()
    return True
