"""Administrators edit pipelines, their stages and the reasons for losing on Settings pages;
what records still use is refused with a message (or deactivated), never a 500."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.sales.factories import OpportunityFactory
from vinculo.core.roles import Role
from vinculo.sales import services
from vinculo.sales.models import LostReason, Pipeline, Stage, StageKind


def stages(pipeline: Pipeline) -> list[tuple[str, str]]:
    return [(s.name, s.kind) for s in pipeline.stages.order_by("order")]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_admin_creates_a_pipeline_and_edits_orders_and_removes_its_stages(page, as_admin):
    response = page.post(reverse("sales:pipeline_settings_create"), {"name": "Renewals"})
    assert response.status_code == 302
    pipeline = Pipeline.objects.get(name="Renewals")
    assert [k for _n, k in stages(pipeline)] == ["open"] * 4 + ["won", "lost"]
    # a new open stage goes before won and lost
    response = page.post(f"{reverse('sales:stage_create')}?pipeline={pipeline.uuid}",
                         {"name": "Contract sent", "probability": "90", "kind": "open"})
    assert response.status_code == 302
    assert stages(pipeline)[4] == ("Contract sent", "open")
    added = Stage.objects.get(name="Contract sent")
    assert added.probability == Decimal(90)
    # moved up one place, renamed
    page.post(reverse("sales:stage_move", args=[added.uuid]), {"step": "up"})
    assert stages(pipeline)[3] == ("Contract sent", "open")
    response = page.post(reverse("sales:stage_update", args=[added.uuid]), {
        "name": "Signature", "probability": "95", "kind": "open", "version": added.version})
    assert response.status_code == 302
    assert stages(pipeline)[3] == ("Signature", "open")
    # a second won stage is refused on the kind field
    response = page.post(f"{reverse('sales:stage_create')}?pipeline={pipeline.uuid}",
                         {"name": "Won again", "probability": "100", "kind": "won"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "kind": ["A pipeline needs one won stage and one lost stage."]}
    # an unused stage goes; the won one stays
    response = page.post(reverse("sales:stage_delete", args=[added.uuid]), follow=True)
    assert messages_of(response) == ["Deleted: Signature"]
    assert "Signature" not in [n for n, _k in stages(pipeline)]
    won = pipeline.stages.get(kind=StageKind.WON)
    response = page.post(reverse("sales:stage_delete", args=[won.uuid]), follow=True)
    assert messages_of(response) == [
        "A pipeline needs one won stage, one lost stage and an open one: this stage stays."]
    assert pipeline.stages.filter(pk=won.pk).exists()
    listing = page.get(reverse("sales:pipeline_settings_list")).content.decode()
    assert "Renewals" in listing and "Qualification" in listing


@pytest.mark.django_db
def test_used_stages_and_pipelines_are_refused_with_a_message(page, as_admin):
    opportunity = OpportunityFactory(actor=as_admin)
    stage, pipeline = opportunity.stage, opportunity.pipeline
    response = page.post(reverse("sales:stage_delete", args=[stage.uuid]), follow=True)
    assert response.status_code == 200
    assert messages_of(response) == [
        "1 opportunity is in this stage: move it to another stage first."]
    other = services.pipeline_create(actor=as_admin, organization=as_admin.organization,
                                     name="Second", is_default=True)
    response = page.post(reverse("sales:pipeline_settings_delete", args=[pipeline.uuid]),
                         follow=True)
    assert messages_of(response) == [
        "1 opportunity is in this pipeline: move it to another pipeline first."]
    response = page.post(reverse("sales:stage_update", args=[stage.uuid]), {
        "name": stage.name, "probability": "10", "kind": "lost", "version": stage.version})
    assert response.status_code == 400 and "kind" in response.context["form"].errors
    assert Stage.objects.filter(pk=stage.pk, kind="open").exists()
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()
    # an unused pipeline that is not the default goes
    unused = services.pipeline_create(actor=as_admin, organization=as_admin.organization,
                                      name="Unused")
    page.post(reverse("sales:pipeline_settings_delete", args=[unused.uuid]))
    assert set(Pipeline.objects.values_list("name", flat=True)) == {pipeline.name, other.name}


@pytest.mark.django_db
def test_lost_reasons_are_offered_required_and_deactivated_when_used(page, as_admin):
    for name in ("Price", "Competitor"):
        assert page.post(reverse("sales:lost_reason_create"),
                         {"name": name, "order": "1", "is_active": "on"}).status_code == 302
    response = page.post(reverse("sales:lost_reason_create"), {"name": "price", "order": "2"})
    assert response.context["form"].errors == {"name": ["This reason is already in the list."]}
    opportunity = OpportunityFactory(actor=as_admin)
    html = page.get(reverse("sales:opportunity_detail", args=[opportunity.uuid])).content
    assert b'<option value="Competitor">' in html
    lost = opportunity.pipeline.stages.get(kind=StageKind.LOST)
    with pytest.raises(ValidationError) as refused:
        services.opportunity_move(actor=as_admin, opportunity=opportunity, stage=lost,
                                  lost_reason="Too expensive")
    assert refused.value.message_dict == {
        "lost_reason": ["Choose one of the reasons: Competitor, Price."]}
    moved = services.opportunity_move(actor=as_admin, opportunity=opportunity, stage=lost,
                                      lost_reason="price")
    assert moved.lost_reason == "Price"
    price = LostReason.objects.get(name="Price")
    response = page.post(reverse("sales:lost_reason_delete", args=[price.uuid]), follow=True)
    assert messages_of(response) == [
        "Opportunities were lost for “Price”, so it was deactivated instead: it is no longer "
        "offered."]
    price.refresh_from_db()
    assert not price.is_active
    competitor = LostReason.objects.get(name="Competitor")
    page.post(reverse("sales:lost_reason_delete", args=[competitor.uuid]))
    assert list(LostReason.objects.values_list("name", flat=True)) == ["Price"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.SALES_REP])
def test_only_administrators_reach_the_sales_settings(client, users, role, as_admin):
    client.force_login(users[role])
    pipeline = services.pipeline_default(organization=as_admin.organization)
    assert client.get(reverse("sales:pipeline_settings_list")).status_code == 403
    assert client.post(reverse("sales:pipeline_settings_update", args=[pipeline.uuid]),
                       {"name": "Hijacked", "version": 1}).status_code == 403
    assert client.post(reverse("sales:lost_reason_create"), {"name": "x"}).status_code == 403
    assert not Pipeline.objects.filter(name="Hijacked").exists()
    assert not LostReason.objects.exists()
