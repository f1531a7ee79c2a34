"""Factories for contracts, made through the contract services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from tests.core.factories import ServiceFactory
from tests.customers.factories import AccountFactory
from vinculo.contracts import services
from vinculo.contracts.models import Contract
from vinculo.core.models import User


class ContractFactory(ServiceFactory):
    """A yearly contract; of a new account unless ``account`` is given."""

    class Meta:
        model = Contract

    account = None
    name = factory.Sequence(lambda n: f"Suscripción {n}")
    start_date = dt.date(2024, 3, 1)
    term_months = 12
    value = Decimal("480.00")
    currency = "EUR"

    @classmethod
    def service(cls, actor: User, *, account: Any = None, **data: Any) -> Contract:
        account = account or AccountFactory(actor=actor, owner=actor)
        return services.contract_create(actor=actor, data={"account": account, **data})
