"""The generic API and page suites for contracts: role matrix, record rule of the account,
version rule, audit, query counts; and deletion refused while a renewal points to a term."""

from __future__ import annotations

from tests.contracts.factories import ContractFactory
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Deletion, DeletionSuite, Page, PageSuite
from vinculo.contracts import services


def contract(admin, owner):
    return ContractFactory(actor=admin, account=AccountFactory(actor=admin, owner=owner,
                                                               team=owner.team))


class TestContractApi(ApiSuite):
    api = Api("contract", "contracts", contract,
              create=lambda admin, user: {
                  "account": str(AccountFactory(actor=admin, owner=user, team=user.team).uuid),
                  "name": "Mantenimiento anual", "start_date": "2025-01-15",
                  "term_months": 12, "value": "900.00", "currency": "EUR"},
              update=lambda record: {"notes": "Llamar antes de renovar"},
              delete=True,
              calls=(Call("renew", "contracts.change", ok=201),
                     Call("cancel", "contracts.change",
                          payload=lambda admin, user, record: {"reason": "price"})))


class TestContractPages(PageSuite):
    page = Page("contract", "contracts", contract, list="contracts:contract_list",
                detail="contracts:contract_detail", create="contracts:contract_create",
                edit="contracts:contract_update")


def renewed_term(admin):
    first = contract(admin, admin)
    services.contract_renew(actor=admin, contract=first)
    first.refresh_from_db()
    return first, ["1 contract"]


class TestContractDeletions(DeletionSuite):
    deletions = [Deletion("contract", renewed_term, phrases_es=("1 contrato",),
                          api="contract", page="contracts:contract_delete")]
