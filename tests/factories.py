"""Factories for tenant rows. They go through the services, like every other writer."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vinculo.core.audit import acting_as
from vinculo.core.models import User
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services

_counter = itertools.count(1)


@contextmanager
def as_user(user: User) -> Iterator[None]:
    """Inside ``user``'s organisation, with changes attributed to them."""
    with organization_scope(user.organization_id), acting_as(user):
        yield


def account(user: User, **data: Any):
    n = next(_counter)
    data = {"name": f"Cuenta {n} SL", "email": f"cuenta{n}@example.es", **data}
    with as_user(user):
        return services.account_create(actor=user, data=data)


def contact(user: User, **data: Any):
    n = next(_counter)
    data = {
        "first_name": "Lucía",
        "last_name": f"Pérez {n}",
        "email": f"lucia.perez{n}@example.es",
        **data,
    }
    with as_user(user):
        return services.contact_create(actor=user, data=data)


def lead(user: User, **data: Any):
    n = next(_counter)
    data = {
        "first_name": "Tom",
        "last_name": f"Baker {n}",
        "email": f"tom{n}@example.co.uk",
        "company_name": f"Baker & Sons {n} Ltd",
        **data,
    }
    with as_user(user):
        return services.lead_create(actor=user, data=data)
