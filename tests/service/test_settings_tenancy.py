"""Another organisation's administrator finds none of our service desk settings: 404 on every
page and endpoint with a UUID, nothing in the lists."""

from __future__ import annotations

import pytest

from tests.core.test_tenancy import settings_records
from tests.interactions.test_settings_tenancy import (
    lists_show_nothing,
    walk_as_another_organisation,
)
from vinculo.service.models import BusinessCalendar, Holiday, Queue, SlaPolicy


@pytest.mark.django_db
def test_another_organisation_finds_none_of_our_queues_policies_or_calendars(admin, other_admin,
                                                                             client):
    records = {model: record for model, record in settings_records(admin).items()
               if model in (BusinessCalendar, Holiday, SlaPolicy, Queue)}
    checked = walk_as_another_organisation(records, other_admin, client)
    assert len(checked) >= 10
    assert all(any(str(r.uuid) in url for url in checked) for r in records.values())
    lists_show_nothing(records, other_admin, client, [
        "/service/settings/queues/", "/service/settings/sla/", "/service/settings/calendars/",
        "/api/queues/", "/api/sla-policies/", "/api/business-calendars/", "/api/holidays/"])
