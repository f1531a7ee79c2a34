"""What the schema fuzzer found, pinned as plain tests so each stays fixed without the fuzzer's
luck: every one of these answered a 500 or a body its schema does not describe."""

from __future__ import annotations

import pytest

from vinculo.core.models import CustomField
from vinculo.service.models import Queue, Ticket


@pytest.mark.django_db
def test_custom_field_choices_must_be_a_list_of_texts(api, admin):
    for choices in (True, "small", [""], [None]):
        response = api.post("/api/custom-fields/", {
            "model": "account", "key": "size", "label": "Size", "type": "choice",
            "choices": choices}, format="json")
        assert response.status_code == 400, choices
        assert "choices" in response.json()
    assert not CustomField.all_objects.filter(organization=admin.organization).exists()


@pytest.mark.django_db
def test_a_ticket_without_any_queue_is_refused_naming_the_queue(api, admin):
    assert not Queue.all_objects.filter(organization=admin.organization).exists()
    response = api.post("/api/tickets/", {"subject": "Printer on fire"}, format="multipart")
    assert response.status_code == 400
    assert "queue" in response.json()
    assert not Ticket.all_objects.filter(organization=admin.organization).exists()


@pytest.mark.django_db
def test_aging_on_a_date_that_is_not_one_names_the_parameter(api):
    response = api.get("/api/invoices/aging/", {"on": "¤Y¹"})
    assert response.status_code == 400
    assert "on" in response.json()
    assert api.get("/api/invoices/aging/", {"on": "2026-11-30"}).json()["on"] == "2026-11-30"
