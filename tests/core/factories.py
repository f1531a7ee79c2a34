"""The base of every factory: records are made by the services, as the acting user, inside
their organisation (so numbering, validation and the audit log behave as in production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import factory

from vinculo.core.audit import acting_as
from vinculo.core.models import User
from vinculo.core.tenancy import organization_scope


@contextmanager
def as_user(user: User) -> Iterator[None]:
    """Inside ``user``'s organisation, with changes attributed to them."""
    with organization_scope(user.organization_id), acting_as(user):
        yield


class ServiceFactory(factory.Factory):
    """A factory whose ``create`` calls a service: ``XFactory(actor=user, **fields)``.

    Subclasses declare default field values (factory-boy declarations) and implement
    ``service(actor, **fields)``, which runs inside ``as_user(actor)``.
    """

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type, *args: Any, actor: User, **fields: Any) -> Any:
        with as_user(actor):
            return cls.service(actor, **fields)

    @classmethod
    def service(cls, actor: User, **fields: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError
