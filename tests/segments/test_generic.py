"""The generic API and page suites for segments."""

from __future__ import annotations

import itertools

from tests.generic import Api, ApiSuite, Call, Deletion, DeletionSuite, Page, PageSuite
from tests.segments.factories import make_segment

_n = itertools.count(1)

RULE = {"match": "all", "conditions": [
    {"field": "contact.email", "op": "contains", "value": "@"}]}


def segment(admin, owner):
    return make_segment(admin, name=f"Segmento {next(_n)}", rule=RULE)


def preview(admin, user, record):
    return {"subject": "contacts", "rule": RULE}


class TestSegmentApi(ApiSuite):
    api = Api("segment", "segments", segment,
              create=lambda admin, user: {"name": f"Nuevo {next(_n)}", "subject": "accounts",
                                          "rule": {"conditions": [
                                              {"field": "analytics.clv", "op": "gte",
                                               "value": 1000}]}},
              update=lambda record: {"name": f"{record.name} (revisado)"},
              delete=True,
              calls=(Call("preview", "segments.view", detail=False, payload=preview),
                     Call("fields", "segments.view", method="get", detail=False),
                     Call("members", "segments.view", method="get"),
                     Call("movements", "segments.view", method="get"),
                     Call("summary", "segments.view", method="get"),
                     Call("refresh", "segments.change")))


class TestSegmentPages(PageSuite):
    page = Page("segment", "segments", segment, list="segments:segment_list",
                detail="segments:segment_detail", create="segments:segment_create",
                edit="segments:segment_update")


def segment_with_campaigns(admin):
    """A segment two campaigns are sent to: it is not deleted while they point to it."""
    from vinculo.marketing.models import Campaign

    record = segment(admin, admin)
    for name in ("Primavera", "Otoño"):
        Campaign.all_objects.create(organization=admin.organization, name=name, segment=record)
    return record, ["2 campaigns"]


class TestSegmentDeletions(DeletionSuite):
    deletions = [Deletion("segment", segment_with_campaigns, phrases_es=("2 campañas",),
                          api="segment", page="segments:segment_delete")]
