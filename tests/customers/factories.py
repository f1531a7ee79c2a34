"""Factories for accounts, contacts and leads, made through the customer services."""

from __future__ import annotations

from typing import Any

import factory

from tests.core.factories import ServiceFactory
from vinculo.core.models import User
from vinculo.customers import services
from vinculo.customers.models import Account, Contact, Lead


class AccountFactory(ServiceFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Cuenta {n} SL")
    email = factory.Sequence(lambda n: f"cuenta{n}@example.es")

    @classmethod
    def service(cls, actor: User, **data: Any) -> Account:
        return services.account_create(actor=actor, data=data)


class ContactFactory(ServiceFactory):
    class Meta:
        model = Contact

    first_name = "Lucía"
    last_name = factory.Sequence(lambda n: f"Pérez {n}")
    email = factory.Sequence(lambda n: f"lucia.perez{n}@example.es")

    @classmethod
    def service(cls, actor: User, **data: Any) -> Contact:
        return services.contact_create(actor=actor, data=data)


class LeadFactory(ServiceFactory):
    class Meta:
        model = Lead

    first_name = "Tom"
    last_name = factory.Sequence(lambda n: f"Baker {n}")
    email = factory.Sequence(lambda n: f"tom{n}@example.co.uk")
    company_name = factory.Sequence(lambda n: f"Baker & Sons {n} Ltd")

    @classmethod
    def service(cls, actor: User, **data: Any) -> Lead:
        return services.lead_create(actor=actor, data=data)
