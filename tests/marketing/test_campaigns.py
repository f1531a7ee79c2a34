"""Campaigns: create, variants, and the start — who is contacted, held out or skipped."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.core.factories import as_user
from tests.marketing.factories import (
    CampaignFactory,
    VariantFactory,
    contacts,
    ready_campaign,
    segment_of,
)
from vinculo.core import events
from vinculo.customers import services as customer_services
from vinculo.marketing import services
from vinculo.marketing.models import CampaignRecipient, CampaignStatus, Suppression

pytestmark = pytest.mark.django_db


def _rows(campaign):
    return list(CampaignRecipient.objects.filter(campaign=campaign).order_by("contact_id"))


def test_start_holds_out_the_control_group_and_splits_variants(admin):
    members = contacts(admin, 200)
    campaign = ready_campaign(admin, members, control_share=10)
    with as_user(admin):
        a = campaign.variants.get()
        services.campaign_variant_update(actor=admin, variant=a, data={"share": 70},
                                         expected_version=a.version)
        b = VariantFactory(actor=admin, campaign=campaign, name="B", share=30)
        with events.recording() as published:
            result = services.campaign_start(campaign=campaign, actor=admin)
    rows = _rows(campaign)
    assert (result.recipients, result.control, result.pending, result.skipped) == (200, 20, 180, 0)
    assert sum(r.status == "control" for r in rows) == 20
    pending = [r for r in rows if r.status == "pending"]
    assert sum(r.variant_id == a.pk for r in pending) == 126
    assert sum(r.variant_id == b.pk for r in pending) == 54
    assert all(r.variant_id is None for r in rows if r.status == "control")
    assert len({r.token for r in rows}) == 200 and all(len(r.token) == 32 for r in rows)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING and campaign.started_at
    assert [o.name for o in published] == ["segment.refreshed", "campaign.started"]
    assert published[1].data["control"] == 20


def test_control_group_is_random_but_seeded_per_campaign(admin):
    members = contacts(admin, 60)
    first = ready_campaign(admin, members, control_share=20, segment_name="Uno")
    second = ready_campaign(admin, members, control_share=20, segment_name="Dos")
    with as_user(admin):
        services.campaign_start(campaign=first, actor=admin)
        services.campaign_start(campaign=second, actor=admin)

    def control(campaign):
        return {r.contact_id for r in _rows(campaign) if r.status == "control"}

    assert len(control(first)) == len(control(second)) == 12
    assert control(first) != control(second)  # another campaign, another draw
    ids = sorted(m.pk for m in members)
    assert control(first) != set(ids[:12])  # not the first members: a shuffle
    # the same campaign on the same members draws the same group
    import random

    shuffled = sorted(ids)
    random.Random(first.uuid.int).shuffle(shuffled)
    assert control(first) == set(shuffled[:12])


def test_contacts_without_consent_address_or_suppressed_are_skipped_with_reason(admin):
    ok = contacts(admin, 5, prefix="ok")
    refused = contacts(admin, 2, consent=False, prefix="no")
    no_address = contacts(admin, 1, prefix="sin", email=False)
    suppressed = contacts(admin, 1, prefix="supr")
    with as_user(admin):
        Suppression.objects.create(organization_id=admin.organization_id,
                                   email=suppressed[0].email, reason="bounce")
        withdrew = contacts(admin, 1, prefix="retiro")
        customer_services.consent_record(actor=admin, contact=withdrew[0], channel="email",
                                         granted=False)
    campaign = ready_campaign(admin, ok + refused + no_address + suppressed + withdrew,
                              control_share=0)
    with as_user(admin):
        result = services.campaign_start(campaign=campaign, actor=admin)
    assert (result.recipients, result.pending, result.skipped) == (10, 5, 5)
    reasons = {r.contact_id: r.skipped_reason for r in _rows(campaign) if r.status == "skipped"}
    assert "consent" in reasons[refused[0].pk] and "consent" in reasons[withdrew[0].pk]
    assert reasons[no_address[0].pk] == "No e-mail address."
    assert "suppressed" in reasons[suppressed[0].pk]


def test_refuses_without_segment_empty_segment_or_no_consented_member(admin):
    with as_user(admin):
        bare = CampaignFactory(actor=admin)
        with pytest.raises(ValidationError) as exc:
            services.campaign_start(campaign=bare, actor=admin)
        assert "segment" in exc.value.message_dict

    empty = ready_campaign(admin, [], segment_name="Vacío")
    with as_user(admin), pytest.raises(ValidationError) as exc:
        services.campaign_start(campaign=empty, actor=admin)
    assert "Vacío has no members" in exc.value.message_dict["segment"][0]

    nobody = ready_campaign(admin, contacts(admin, 3, consent=False, prefix="n"),
                            segment_name="Sin permiso")
    with as_user(admin), pytest.raises(ValidationError) as exc:
        services.campaign_start(campaign=nobody, actor=admin)
    assert "None of the 3 members of Sin permiso" in exc.value.message_dict["segment"][0]
    for campaign in (bare, empty, nobody):  # nothing half-written
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT
        assert not CampaignRecipient.objects.filter(campaign=campaign).exists()


def test_start_refuses_unwritten_message_and_shares_not_100(admin):
    members = contacts(admin, 3)
    with as_user(admin):
        campaign = CampaignFactory(actor=admin, segment=segment_of(admin, members))
        with pytest.raises(ValidationError, match="subject and the body"):
            services.campaign_start(campaign=campaign, actor=admin)
    campaign = ready_campaign(admin, members, segment_name="Otra")
    with as_user(admin):
        VariantFactory(actor=admin, campaign=campaign, name="B", share=50)
        with pytest.raises(ValidationError, match="add up to 150"):
            services.campaign_start(campaign=campaign, actor=admin)


def test_channel_without_its_module_is_refused_clearly(admin, monkeypatch):
    """A channel whose delivery module is not installed is refused before anything is built."""
    from vinculo.marketing import channels

    monkeypatch.setitem(channels.DELIVERY, "letter", "vinculo.marketing.no_such_module.deliver")
    campaign = ready_campaign(admin, contacts(admin, 2), channel="letter")
    with as_user(admin), pytest.raises(ValidationError) as exc:
        services.campaign_start(campaign=campaign, actor=admin)
    assert "not available" in exc.value.message_dict["channel"][0]


def test_variant_template_with_unknown_merge_field_is_refused(admin):
    campaign = ready_campaign(admin, contacts(admin, 1))
    with as_user(admin), pytest.raises(ValidationError) as exc:
        VariantFactory(actor=admin, campaign=campaign, name="B",
                       body="Hola {{ contact.shoe_size }}")
    assert "Unknown merge field" in exc.value.message_dict["body"][0]


def test_bad_campaign_values_name_the_field(admin):
    with as_user(admin):
        for data, field in (({"control_share": 95}, "control_share"),
                            ({"currency": "euros"}, "currency"),
                            ({"fixed_cost": "-1"}, "fixed_cost")):
            with pytest.raises(ValidationError) as exc:
                CampaignFactory(actor=admin, **data)
            assert field in exc.value.message_dict


def test_started_campaign_keeps_its_audience_and_message(admin):
    campaign = ready_campaign(admin, contacts(admin, 2))
    with as_user(admin):
        services.campaign_start(campaign=campaign, actor=admin)
        campaign.refresh_from_db()
        with pytest.raises(ValidationError) as exc:
            services.campaign_update(actor=admin, campaign=campaign,
                                     data={"control_share": 50},
                                     expected_version=campaign.version)
        assert "control_share" in exc.value.message_dict
        services.campaign_update(actor=admin, campaign=campaign, data={"fixed_cost": "10.00"},
                                 expected_version=campaign.version)
        with pytest.raises(ValidationError):
            VariantFactory(actor=admin, campaign=campaign, name="C")
        with pytest.raises(ValidationError):
            services.campaign_delete(actor=admin, campaign=campaign)
        with pytest.raises(ValidationError, match="already started"):
            services.campaign_start(campaign=campaign, actor=admin)


def test_finish_skips_what_was_not_sent(admin):
    campaign = ready_campaign(admin, contacts(admin, 4), control_share=0)
    with as_user(admin):
        services.campaign_start(campaign=campaign, actor=admin)
        campaign.refresh_from_db()
        with events.recording() as published:
            services.campaign_finish(campaign=campaign, actor=admin)
    assert {r.status for r in _rows(campaign)} == {"skipped"}
    assert [o.name for o in published] == ["campaign.finished"]


def test_only_marketers_start(users):
    admin = users["admin"]
    campaign = ready_campaign(admin, contacts(admin, 2))
    analyst = users["analyst"]
    from vinculo.core.services import PermissionDeniedError

    with as_user(analyst), pytest.raises(PermissionDeniedError):
        services.campaign_start(campaign=campaign, actor=analyst)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
