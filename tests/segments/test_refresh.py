"""Materialisation: who entered and left with their dates, history kept across re-entry, the
refresh after each analytics recompute (the ``snapshot.recomputed`` subscriber) and the
nightly job."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from tests.core.factories import as_user
from tests.segments.factories import make_segment, world
from vinculo.analytics.models import CustomerSnapshot
from vinculo.core import events
from vinculo.core.plugins import collect
from vinculo.segments import selectors, services
from vinculo.segments.models import Segment, SegmentMember

pytestmark = pytest.mark.django_db

HIGH_VALUE = {"conditions": [{"field": "analytics.clv", "op": "gte", "value": 1000}]}


@pytest.fixture
def w(admin):
    return world(admin)


def set_clv(account, as_of, clv):
    CustomerSnapshot.all_objects.filter(account=account, as_of=as_of).update(clv=Decimal(clv))


def test_entered_and_left_with_dates_and_history_across_re_entry(admin, w):
    segment = make_segment(admin, name="Valiosos", subject="accounts", rule=HIGH_VALUE)
    monday = timezone.now().replace(microsecond=0) - dt.timedelta(days=10)
    with as_user(admin):
        with time_machine.travel(monday, tick=False):
            first = services.segment_refresh(segment=segment, actor=admin)
        assert (first.entered, first.left, first.members) == (1, 0, 1)
        # Beta's value rises: it enters; Acme's falls: it leaves
        set_clv(w.beta, w.as_of, "2000")
        set_clv(w.acme, w.as_of, "10")
        with time_machine.travel(monday + dt.timedelta(days=3), tick=False):
            second = services.segment_refresh(segment=segment, actor=admin)
        assert (second.entered, second.left, second.members) == (1, 1, 1)
        # nothing changed: nothing moves
        with time_machine.travel(monday + dt.timedelta(days=4), tick=False):
            same = services.segment_refresh(segment=segment)
        assert (same.entered, same.left, same.members) == (0, 0, 1)
        # Acme comes back: a new stay, the old one kept
        set_clv(w.acme, w.as_of, "3000")
        with time_machine.travel(monday + dt.timedelta(days=6), tick=False):
            services.segment_refresh(segment=segment)
    stays = list(SegmentMember.all_objects.filter(segment=segment, account=w.acme)
                 .order_by("entered_at").values_list("entered_at", "left_at"))
    assert stays == [(monday, monday + dt.timedelta(days=3)),
                     (monday + dt.timedelta(days=6), None)]
    segment.refresh_from_db()
    assert segment.member_count == 2
    assert segment.refreshed_at == monday + dt.timedelta(days=6)
    # "who entered this week" is a query
    with as_user(admin):
        week = selectors.movements(segment, start=(monday + dt.timedelta(days=2)).date(),
                                   end=(monday + dt.timedelta(days=6)).date())
        assert {str(m.account) for m in week["entered"]} == {"Beta", "Acme"}
        assert [str(m.account) for m in week["left"]] == ["Acme"]


def test_refresh_publishes_the_event_with_the_figures(admin, w):
    segment = make_segment(admin, name="Valiosos", subject="accounts", rule=HIGH_VALUE)
    with as_user(admin), events.recording() as published:
        services.segment_refresh(segment=segment, actor=admin)
    assert [(e.name, e.data["entered"], e.data["members"]) for e in published] == [
        ("segment.refreshed", 1, 1)]


def test_refresh_needs_the_change_permission_and_writes_nothing_without_it(admin, users, w):
    segment = make_segment(admin, name="Valiosos", subject="accounts", rule=HIGH_VALUE)
    reader = users["read_only"]
    from vinculo.core.services import PermissionDeniedError

    with as_user(reader), pytest.raises(PermissionDeniedError):
        services.segment_refresh(segment=segment, actor=reader)
    assert not SegmentMember.all_objects.filter(segment=segment).exists()


def test_members_follow_each_analytics_recompute(admin, w):
    """The subscriber of ``snapshot.recomputed`` refreshes every segment of the organisation,
    a segment after the segments its rule names."""
    valued = make_segment(admin, name="Valiosos", subject="accounts", rule=HIGH_VALUE)
    contacts = make_segment(admin, name="Sus contactos", subject="contacts", rule={
        "conditions": [{"field": "segment", "op": "in", "value": [str(valued.uuid)]}]})
    subscribers = [s for s in collect("subscribers") if s.event == "snapshot.recomputed"]
    assert "vinculo.segments.services.on_snapshot_recomputed" in {s.handler for s in subscribers}
    from vinculo.analytics.models import AnalyticsRun

    run = AnalyticsRun.all_objects.filter(organization=admin.organization).first()
    with as_user(admin):
        services.on_snapshot_recomputed(events.Occurrence(
            name="snapshot.recomputed", record=run, organization_id=admin.organization_id,
            actor_id=None))
    valued.refresh_from_db()
    contacts.refresh_from_db()
    assert (valued.member_count, contacts.member_count) == (1, 1)
    assert services.refresh_order([contacts, valued]) == [valued, contacts]


def test_the_nightly_command_refreshes_every_organisation(admin, other_admin, w):
    make_segment(admin, name="Valiosos", subject="accounts", rule=HIGH_VALUE)
    make_segment(other_admin, name="Vacío", subject="accounts", rule=HIGH_VALUE)
    from io import StringIO

    out = StringIO()
    call_command("segments_refresh", "--all", stdout=out)
    assert "1 entered" in out.getvalue()
    assert Segment.all_objects.get(name="Valiosos").member_count == 1
    jobs = {job.name for job in collect("jobs")}
    assert "segments_refresh --all" in jobs


def test_a_static_list_is_recounted_not_recomputed(admin, w):
    segment = make_segment(admin, name="Feria", kind="static")
    with as_user(admin):
        services.segment_members_add(actor=admin, segment=segment, records=[w.ana, w.ben])
        result = services.segment_refresh(segment=segment, actor=admin)
    assert (result.entered, result.left, result.members) == (0, 0, 2)
