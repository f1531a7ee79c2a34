"""The segments API: the same rule language as the page, a 400 naming the part of a bad rule,
the preview, members, the static list's members, movements, the value summary and refresh."""

from __future__ import annotations

import pytest

from tests.segments.factories import make_segment, world
from vinculo.segments.models import Segment

pytestmark = pytest.mark.django_db

CLV_AND_RISK = {"match": "all", "conditions": [
    {"field": "analytics.clv", "op": "gte", "value": 1000},
    {"field": "consent.email", "op": "eq", "value": True}]}


@pytest.fixture
def w(admin):
    return world(admin)


def test_create_refresh_and_read_members(api, admin, w):
    answer = api.post("/api/segments/", {"name": "Valiosos", "subject": "contacts",
                                         "rule": CLV_AND_RISK}, format="json")
    assert answer.status_code == 201, answer.json()
    segment_id = answer.json()["id"]
    assert answer.json()["member_count"] == 0
    refreshed = api.post(f"/api/segments/{segment_id}/refresh/")
    assert refreshed.json() == {"entered": 1, "left": 0, "members": 1}
    members = api.get(f"/api/segments/{segment_id}/members/").json()
    assert [m["email"] for m in members["results"]] == ["ana@acme.example"]
    assert members["has_next"] is False
    summary = api.get(f"/api/segments/{segment_id}/summary/").json()
    assert summary["members"] == 1 and summary["clv"] == "5000.00"
    moved = api.get(f"/api/segments/{segment_id}/movements/").json()
    assert [m["name"] for m in moved["entered"]] == ["Ana Alba"] and moved["left"] == []
    # the contacts list takes the segment as a filter
    listed = api.get(f"/api/contacts/?segment={segment_id}").json()
    assert [c["email"] for c in listed["results"]] == ["ana@acme.example"]


def test_a_bad_rule_is_a_400_naming_the_part(api, w):
    rule = {"conditions": [{"field": "analytics.clv", "op": "gte", "value": 1},
                           {"field": "activity.nothing", "op": "eq", "value": 1}]}
    answer = api.post("/api/segments/", {"name": "Mal", "rule": rule}, format="json")
    assert answer.status_code == 400
    assert "rule.conditions[1].field" in answer.json()
    assert not Segment.all_objects.filter(name="Mal").exists()
    preview = api.post("/api/segments/preview/", {"subject": "accounts", "rule": {
        "conditions": [{"field": "analytics.clv", "op": "between", "value": [5]}]}},
        format="json")
    assert preview.status_code == 400
    assert "rule.conditions[0].value" in preview.json()


def test_preview_counts_and_samples_without_saving(api, w):
    answer = api.post("/api/segments/preview/", {"subject": "accounts", "rule": {
        "match": "any", "conditions": [
            {"field": "activity.orders", "op": "gte", "value": 2, "days": 365},
            {"field": "activity.open_tickets", "op": "gt", "value": 0}]}}, format="json")
    assert answer.status_code == 200
    assert answer.json()["count"] == 2
    assert [s["name"] for s in answer.json()["sample"]] == ["Acme", "Beta"]
    fields = {f["name"] for f in api.get("/api/segments/fields/").json()}
    assert {"analytics.p_alive", "activity.last_order", "consent.email", "segment"} <= fields


def test_static_list_members_by_hand(api, admin, w):
    segment = make_segment(admin, name="Feria", kind="static")
    url = f"/api/segments/{segment.uuid}/members/"
    added = api.post(url, {"add": [str(w.ben.uuid), str(w.cid.uuid)]}, format="json")
    assert added.json() == {"entered": 2, "left": 0, "members": 2}
    removed = api.post(url, {"remove": [str(w.ben.uuid)]}, format="json")
    assert removed.json() == {"entered": 0, "left": 1, "members": 1}
    unknown = api.post(url, {"add": ["00000000-0000-0000-0000-000000000000"]}, format="json")
    assert unknown.status_code == 400 and "add" in unknown.json()
    # a rule-based segment takes no hand-picked members
    rule_based = make_segment(admin, name="Regla", rule=CLV_AND_RISK)
    refused = api.post(f"/api/segments/{rule_based.uuid}/members/",
                       {"add": [str(w.ben.uuid)]}, format="json")
    assert refused.status_code == 400


def test_subject_and_kind_cannot_change(api, admin, w):
    segment = make_segment(admin, name="Fijo", rule=CLV_AND_RISK)
    answer = api.patch(f"/api/segments/{segment.uuid}/",
                       {"subject": "accounts", "version": segment.version}, format="json")
    assert answer.status_code == 400 and "subject" in answer.json()
