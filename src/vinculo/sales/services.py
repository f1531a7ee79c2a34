"""Business rules of the pipeline: pipelines and stages, opportunities and their moves.

Quotes, orders and deliveries live in ``sales/documents``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.core import events
from vinculo.core.models import Organization, User
from vinculo.core.money import line_amounts
from vinculo.core.services import org_id, organization_of, require, versioned_save
from vinculo.customers import services as customer_services
from vinculo.customers.models import Account, Contact, Lead
from vinculo.sales.models import (
    LostReason,
    Opportunity,
    OpportunityLine,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)

DEFAULT_STAGES = (
    (gettext_lazy("Qualification"), Decimal(10), StageKind.OPEN),
    (gettext_lazy("Needs analysis"), Decimal(25), StageKind.OPEN),
    (gettext_lazy("Proposal"), Decimal(50), StageKind.OPEN),
    (gettext_lazy("Negotiation"), Decimal(75), StageKind.OPEN),
    (gettext_lazy("Won"), Decimal(100), StageKind.WON),
    (gettext_lazy("Lost"), Decimal(0), StageKind.LOST),
)

OPPORTUNITY_FIELDS = ("name", "account", "contact", "amount", "currency", "expected_close",
                      "owner", "team", "source", "probability")



@transaction.atomic
def pipeline_create(*, actor: User | None, organization: Organization, name: str,
                    stages: Iterable[tuple[str | Promise, Decimal, str]] = DEFAULT_STAGES,
                    is_default: bool = False) -> Pipeline:
    """A pipeline with its ordered stages; needs exactly one won and one lost stage."""
    if actor is not None:
        require(actor, "sales.change")
    rows = [(str(n), Decimal(p), k) for n, p, k in stages]
    kinds = [kind for _n, _p, kind in rows]
    if kinds.count(StageKind.WON) != 1 or kinds.count(StageKind.LOST) != 1:
        raise ValidationError({"stages": _("A pipeline needs one won stage and one lost stage.")})
    if not any(kind == StageKind.OPEN for kind in kinds):
        raise ValidationError({"stages": _("A pipeline needs at least one open stage.")})
    if Pipeline.all_objects.filter(organization=organization, name=name).exists():
        raise ValidationError({"name": _("A pipeline with this name already exists.")})
    if is_default:
        Pipeline.all_objects.filter(organization=organization).update(is_default=False)
    pipeline = Pipeline.all_objects.create(organization=organization, name=name,
                                           is_default=is_default)
    for order, (stage_name, probability, kind) in enumerate(rows, start=1):
        if not Decimal(0) <= probability <= Decimal(100):
            raise ValidationError({"stages": _("Probabilities go from 0 to 100.")})
        Stage.all_objects.create(organization=organization, pipeline=pipeline, name=stage_name,
                                 order=order, probability=probability, kind=kind)
    return pipeline


def pipeline_default(*, organization: Organization) -> Pipeline:
    """The organisation's default pipeline, created with the usual stages the first time."""
    pipeline = Pipeline.all_objects.filter(organization=organization).order_by(
        "-is_default", "id").first()
    if pipeline is None:
        pipeline = pipeline_create(actor=None, organization=organization, name=_("Sales"),
                                   is_default=True)
    return pipeline


def _check_refs(actor: User, data: dict[str, Any], pipeline: Pipeline | None = None) -> None:
    organization_id = org_id(actor)
    for key in ("account", "contact"):
        value = data.get(key)
        if value is not None and value.organization_id != organization_id:
            raise ValidationError({key: _("Not found.")})
    owner = data.get("owner")
    if owner is not None and owner.organization_id != organization_id:
        raise ValidationError({"owner": _("The owner must be a user of your organisation.")})
    if pipeline is not None and pipeline.organization_id != organization_id:
        raise ValidationError({"pipeline": _("Not found.")})


def _complete_line(actor: User, line: dict[str, Any]) -> dict[str, Any]:
    """A line names a catalogue product, or gives its own description and unit price; the
    product's name and list price fill what the line leaves out."""
    line = dict(line)
    product = line.get("product")
    if product is None:
        if not line.get("description") or line.get("unit_price") is None:
            raise ValidationError({"lines": _("Give a catalogue product, or a description "
                                              "and a unit price.")})
        return line
    if product.organization_id != org_id(actor):
        raise ValidationError({"lines": _("Not found.")})
    line.setdefault("description", product.name)
    line.setdefault("unit_price", product.list_price)
    return line


def _lines_total(lines: Iterable[dict[str, Any]]) -> Decimal:
    return sum((line_amounts(Decimal(line["quantity"]), Decimal(line["unit_price"]),
                             Decimal(line.get("discount_percent") or 0)).net
                for line in lines), Decimal("0.00"))


@transaction.atomic
def opportunity_create(*, actor: User, data: dict[str, Any], pipeline: Pipeline | None = None,
                       stage: Stage | None = None, lines: Iterable[dict[str, Any]] = (),
                       lead: Lead | None = None) -> Opportunity:
    """Open an opportunity in the first stage (or ``stage``); lines, if any, set its amount."""
    require(actor, "sales.add")
    unknown = set(data) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    if not data.get("name"):
        raise ValidationError({"name": _("This field is required.")})
    if data.get("account") is None:
        raise ValidationError({"account": _("This field is required.")})
    pipeline = pipeline or pipeline_default(organization=organization_of(actor))
    _check_refs(actor, data, pipeline)
    if stage is None:
        stage = pipeline.stages.filter(kind=StageKind.OPEN).order_by("order").first()
        if stage is None:
            raise ValidationError({"stage": _("The pipeline has no open stage.")})
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("The stage belongs to another pipeline.")})
    lines = [_complete_line(actor, line) for line in lines]
    if data.get("owner") is None:
        data = {k: v for k, v in data.items() if k != "owner"}  # opened by whoever opens it
    fields = {"currency": organization_of(actor).base_currency, "owner": actor,
              "team": actor.team, **data}
    if lines:
        fields["amount"] = _lines_total(lines)
    fields.setdefault("probability", stage.probability)
    opportunity = Opportunity(organization_id=org_id(actor), pipeline=pipeline,
                              stage=stage, lead=lead, **fields)
    _apply_stage_status(opportunity, stage)
    opportunity.full_clean(exclude=["organization", "lead"], validate_constraints=False)
    opportunity.save()
    for line in lines:
        OpportunityLine.objects.create(organization_id=org_id(actor),
                                       opportunity=opportunity, **line)
    StageChange.objects.create(organization_id=org_id(actor), opportunity=opportunity,
                               from_stage=None, to_stage=stage, actor=actor)
    if opportunity.account.lifecycle_stage in ("prospect", "lead"):
        opportunity.account.lifecycle_stage = "opportunity"
        opportunity.account.save(update_fields=["lifecycle_stage", "updated_at"])
    events.publish("opportunity.created", record=opportunity, actor=actor, data={
        "amount": str(opportunity.amount), "stage": stage.name})
    return opportunity


def _apply_stage_status(opportunity: Opportunity, stage: Stage) -> None:
    if stage.kind == StageKind.WON:
        opportunity.status = OpportunityStatus.WON
    elif stage.kind == StageKind.LOST:
        opportunity.status = OpportunityStatus.LOST
    else:
        opportunity.status = OpportunityStatus.OPEN
    opportunity.closed_at = timezone.now() if stage.kind != StageKind.OPEN else None


@transaction.atomic
def opportunity_update(*, actor: User, opportunity: Opportunity, data: dict[str, Any],
                       expected_version: int | None) -> Opportunity:
    require(actor, "sales.change")
    unknown = set(data) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    _check_refs(actor, data)
    before = {name: getattr(opportunity, name) for name in _WATCHED}
    for key, value in data.items():
        setattr(opportunity, key, value)
    opportunity.full_clean(exclude=["organization", "lead"], validate_constraints=False)
    saved = versioned_save(opportunity, expected_version=expected_version, fields=list(data))
    _announce_changes(opportunity, before, actor)
    return saved


#: The fields whose before and after ``opportunity.changed`` carries (rules that fire when a
#: value crosses a threshold read them).
_WATCHED = ("amount", "probability", "stage_id", "expected_close")


def _announce_changes(opportunity: Opportunity, before: dict[str, Any], actor: User) -> None:
    changes = {}
    for name in _WATCHED:
        old, new = before[name], getattr(opportunity, name)
        if old != new:
            changes[name.removesuffix("_id")] = [
                None if old is None else str(old), None if new is None else str(new)]
    if changes:
        events.publish("opportunity.changed", record=opportunity, actor=actor,
                       data={"changes": changes})


@transaction.atomic
def opportunity_delete(*, actor: User, opportunity: Opportunity) -> None:
    """Remove an opportunity with its lines and stage history."""
    require(actor, "sales.delete")
    opportunity.delete()


@transaction.atomic
def opportunity_move(*, actor: User, opportunity: Opportunity, stage: Stage,
                     lost_reason: str = "", expected_version: int | None = None) -> Opportunity:
    """Move to another stage of the same pipeline; records the time spent in the previous one.

    Moving to the won stage wins the opportunity and makes its account a customer; moving to
    the lost stage needs a reason.
    """
    require(actor, "sales.change")
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if stage.pipeline_id != opportunity.pipeline_id:
        raise ValidationError({"stage": _("The stage belongs to another pipeline.")})
    if stage.pk == opportunity.stage_id:
        return opportunity
    if stage.kind == StageKind.LOST and not lost_reason.strip():
        raise ValidationError({"lost_reason": _("Say why the opportunity was lost.")})
    if stage.kind == StageKind.LOST:
        lost_reason = lost_reason_check(organization_id=opportunity.organization_id,
                                        reason=lost_reason)
    now = timezone.now()
    StageChange.objects.create(
        organization_id=opportunity.organization_id, opportunity=opportunity,
        from_stage_id=opportunity.stage_id, to_stage=stage, changed_at=now, actor=actor,
        seconds_in_previous=max(0, int((now - opportunity.stage_entered_at).total_seconds())),
    )
    before = {name: getattr(opportunity, name) for name in _WATCHED}
    opportunity.stage = stage
    opportunity.stage_entered_at = now
    opportunity.probability = stage.probability
    opportunity.lost_reason = lost_reason.strip() if stage.kind == StageKind.LOST else ""
    _apply_stage_status(opportunity, stage)
    versioned_save(opportunity, expected_version=expected_version,
                   fields=["stage", "stage_entered_at", "probability", "lost_reason", "status",
                           "closed_at"])
    _announce_changes(opportunity, before, actor)
    if stage.kind == StageKind.WON and opportunity.account.lifecycle_stage != "customer":
        opportunity.account.lifecycle_stage = "customer"
        opportunity.account.save(update_fields=["lifecycle_stage", "updated_at"])
    if stage.kind in (StageKind.WON, StageKind.LOST):
        events.publish(f"opportunity.{opportunity.status}", record=opportunity, actor=actor,
                       data={"amount": str(opportunity.amount)})
    return opportunity


def lost_reason_check(*, organization_id: int, reason: str) -> str:
    """The reason as the list names it, once the organisation keeps a list of active reasons;
    any words otherwise. Refused on ``lost_reason`` when not in the list."""
    reason = reason.strip()
    names = list(LostReason.all_objects.filter(organization_id=organization_id, is_active=True)
                 .values_list("name", flat=True))
    if not names:
        return reason
    match = next((name for name in names if name.casefold() == reason.casefold()), None)
    if match is None:
        raise ValidationError({"lost_reason": _("Choose one of the reasons: %(names)s.")
                               % {"names": ", ".join(names)}})
    return match


@transaction.atomic
def lead_convert_to_opportunity(*, actor: User, lead: Lead, pipeline: Pipeline | None = None,
                                amount: Decimal | None = None,
                                name: str = "") -> tuple[Account, Contact, Opportunity]:
    """Reference flow 1: the lead becomes account + contact and an opportunity opens."""
    account, contact = customer_services.lead_convert(actor=actor, lead=lead)
    opportunity = opportunity_create(
        actor=actor, pipeline=pipeline, lead=lead,
        data={"name": name or lead.company_name or str(lead), "account": account,
              "contact": contact, "owner": lead.owner or actor, "source": lead.source,
              "amount": amount or Decimal("0.00")},
    )
    return account, contact, opportunity

