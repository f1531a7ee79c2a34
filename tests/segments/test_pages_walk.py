"""What the walk through the segment builder fixed: a saved decimal shows in the Spanish
builder (a number box takes "0.5", never "0,5"), and typed values refresh only the live count,
never the rows being typed in."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.segments.factories import make_segment, world

pytestmark = pytest.mark.django_db

RULE = {"match": "all", "conditions": [{"field": "analytics.p_alive", "op": "lt", "value": 0.5},
                                       {"field": "analytics.clv", "op": "gte", "value": 1500}]}


@pytest.fixture
def segment(admin):
    world(admin)
    return make_segment(admin, name="En riesgo", subject="accounts", rule=RULE)


def test_a_saved_decimal_shows_in_the_spanish_builder(page, admin, segment):
    admin.language = "es"
    admin.save()
    body = page.get(reverse("segments:segment_update", args=[segment.uuid]),
                    HTTP_ACCEPT_LANGUAGE="es").content.decode()
    value = re.search(r'<input[^>]*id="c-0-value"[^>]*>', body).group(0)
    assert 'value="0.5"' in value and "0,5" not in value
    assert 'value="1500"' in re.search(r'<input[^>]*id="c-1-value"[^>]*>', body).group(0)


def test_typed_values_refresh_only_the_live_count(page, segment):
    body = page.get(reverse("segments:segment_update", args=[segment.uuid])).content.decode()
    for box in ("c-0-value", "c-1-value"):
        tag = re.search(rf'<input[^>]*id="{box}"[^>]*>', body).group(0)
        assert 'hx-swap="none"' in tag and 'hx-select-oob="#builder-preview"' in tag
        assert "change consume" in tag  # the form's re-render of the rows does not follow
    # the fragment an edit answers holds the count it takes from
    assert 'id="builder-preview"' in body
