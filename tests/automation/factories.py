"""Rules and the records they act on, made through the services."""

from __future__ import annotations

from typing import Any

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.automation.models import Rule
from vinculo.automation.services import rule_create
from vinculo.core.models import User
from vinculo.customers.models import Account
from vinculo.customers.services import contact_create

TASK = {"type": "create_task", "title": "Avisar del retraso", "due_in_days": 1,
        "assignee": "account_owner"}


def rule(actor: User, **data: Any) -> Rule:
    values = {"name": "Regla", "trigger": {"kind": "order_due", "days": 3}, "actions": [TASK],
              **data}
    with as_user(actor):
        return rule_create(actor=actor, data=values)


def customer(actor: User, owner: User, *, consent: bool = True, **data: Any) -> Account:
    """An account owned by ``owner`` with a primary contact who agreed to e-mail."""
    with as_user(actor):
        account = AccountFactory(actor=actor, owner=owner, **data)
        contact_create(actor=actor, data={"first_name": "Lucía", "last_name": "Compras",
                                          "email": f"compras@{account.pk}.cliente.es"},
                       accounts=[{"account": account, "role": "Compras", "is_primary": True}],
                       consents=[{"channel": "email", "granted": consent}])
    return account
