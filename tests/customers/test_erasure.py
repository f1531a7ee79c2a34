"""The right to erasure as a customers service: requested → approved → anonymised; refused
when not approved; nothing of another contact touched."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.core.services import PermissionDeniedError
from vinculo.customers import services
from vinculo.customers.models import Consent, Contact, ErasureStatus


def _contact(admin, first: str, email: str) -> Contact:
    with as_user(admin):
        account = AccountFactory(actor=admin)
        return services.contact_create(actor=admin, data={
            "first_name": first, "last_name": "Ruiz", "email": email, "phone": "+34600111222",
            "title": "Compras"}, accounts=[(account, "")])


@pytest.mark.django_db
def test_requested_approved_anonymised_and_nobody_else_touched(admin):
    ana = _contact(admin, "Ana", "ana@ruiz.example")
    eva = _contact(admin, "Eva", "eva@ruiz.example")
    with as_user(admin):
        services.consent_record(actor=admin, contact=ana, channel="email", granted=True)
        request = services.erasure_request(contact=ana, source="portal")
        assert request.status == ErasureStatus.REQUESTED
        with pytest.raises(ValidationError) as error:
            services.contact_anonymise(request=request)
        assert "status" in error.value.message_dict  # not approved: refused
        assert Contact.objects.get(pk=ana.pk).email == "ana@ruiz.example"
        done = services.erasure_decide(actor=admin, request=request, approve=True)
        assert done.status == ErasureStatus.ANONYMISED and done.decided_by == admin
        ana = Contact.all_objects.get(pk=ana.pk)
        assert (ana.last_name, ana.email, ana.phone, ana.title, ana.active) == (
            "", "", "", "", False)
        assert "ruiz" not in ana.search_text.lower()
        assert not Consent.objects.get(contact=ana).granted
        eva = Contact.objects.get(pk=eva.pk)
        assert (eva.first_name, eva.email, eva.phone) == ("Eva", "eva@ruiz.example",
                                                          "+34600111222")
        with pytest.raises(ValidationError):
            services.erasure_decide(actor=admin, request=done, approve=False)


@pytest.mark.django_db
def test_a_refused_request_leaves_the_contact_and_needs_permission(admin, users):
    ana = _contact(admin, "Ana", "ana@ruiz.example")
    with as_user(admin):
        request = services.erasure_request(contact=ana)
        assert services.erasure_request(contact=ana).pk == request.pk  # one open request
    with as_user(users["read_only"]), pytest.raises((PermissionDeniedError, ValidationError)):
        services.erasure_decide(actor=users["read_only"], request=request, approve=True)
    with as_user(admin):
        refused = services.erasure_decide(actor=admin, request=request, approve=False)
        assert refused.status == ErasureStatus.REFUSED
        assert Contact.objects.get(pk=ana.pk).email == "ana@ruiz.example"
        with pytest.raises(ValidationError):
            services.contact_anonymise(request=refused)
