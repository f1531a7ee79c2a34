"""The generic API and page suites for accounts, contacts, leads, imports and industries."""

from __future__ import annotations

import itertools

from tests.billing.factories import InvoiceFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from tests.generic import Api, ApiSuite, Call, Deletion, DeletionSuite, Page, PageSuite
from tests.sales.factories import OrderFactory
from vinculo.customers.models import ImportJob
from vinculo.customers.settings import services as customer_settings

MANAGE = "customers.manage"
_n = itertools.count(1)


def account(admin, owner, **data):
    return AccountFactory(actor=admin, owner=owner, team=owner.team, **data)


def contact(admin, owner, **data):
    return ContactFactory(actor=admin, owner=owner, team=owner.team, **data)


def lead(admin, owner, **data):
    return LeadFactory(actor=admin, owner=owner, team=owner.team, **data)


def import_job(admin, owner):
    return ImportJob.objects.create(organization=owner.organization, user=owner,
                                    target="contact", original_name="contactos.csv")


def industry(admin, owner):
    with as_user(admin):
        return customer_settings.industry_create(actor=admin,
                                                 data={"name": f"Textil {next(_n)}"})


def duplicate(build):
    return lambda admin, user, record: {"duplicate": str(build(admin, user).uuid)}


class TestAccountApi(ApiSuite):
    api = Api("account", "customers", account,
              create=lambda admin, user: {"name": "Nueva SL", "email": "nueva@example.es"},
              update=lambda record: {"website": "https://nueva.example.es"},
              delete=True,
              calls=(Call("merge", "customers.merge", payload=duplicate(account)),
                     Call("history", "customers.view", method="get"),
                     Call("duplicates", "customers.view", method="get")))


class TestContactApi(ApiSuite):
    api = Api("contact", "customers", contact,
              create=lambda admin, user: {"first_name": "Nueva", "email": "nueva@example.es"},
              update=lambda record: {"title": "CFO"},
              delete=True,
              calls=(Call("merge", "customers.merge", payload=duplicate(contact)),
                     Call("history", "customers.view", method="get")))


class TestLeadApi(ApiSuite):
    api = Api("lead", "customers", lead,
              create=lambda admin, user: {"first_name": "Ana", "company_name": "Ana SL"},
              update=lambda record: {"title": "CEO"},
              delete=True,
              calls=(Call("convert", "leads.convert"),))


class TestImportApi(ApiSuite):
    api = Api("import", "customers", import_job, versioned=False, per_user=True,
              permissions={"list": "customers.import", "retrieve": "customers.import"})


class TestIndustryApi(ApiSuite):
    api = Api("industry", "customers", industry,
              permissions={action: MANAGE for action in ("create", "update", "delete")},
              create=lambda admin, user: {"name": "Hostelería"},
              update=lambda record: {"name": f"{record.name} y turismo", "order": 3},
              delete=True)


class TestIndustryPages(PageSuite):
    page = Page("industry", "customers", industry, list="customers:industry_list",
                create="customers:industry_create", edit="customers:industry_update",
                permissions={action: MANAGE for action in ("list", "create", "edit")})


class TestAccountPages(PageSuite):
    page = Page("account", "customers", account, list="customers:account_list",
                detail="customers:account_detail", create="customers:account_create",
                edit="customers:account_update")


class TestContactPages(PageSuite):
    page = Page("contact", "customers", contact, list="customers:contact_list",
                detail="customers:contact_detail", create="customers:contact_create",
                edit="customers:contact_update")


class TestLeadPages(PageSuite):
    page = Page("lead", "customers", lead, list="customers:lead_list",
                detail="customers:lead_detail", create="customers:lead_create",
                edit="customers:lead_update")


class TestImportPages(PageSuite):
    page = Page("import", "customers", import_job, detail="customers:import_detail", per_user=True,
                permissions={"detail": "customers.import"})


def account_with_documents(admin):
    """An account that two orders and an invoice point to (issue 17: deleting it was a 500)."""
    account = AccountFactory(actor=admin)
    OrderFactory(actor=admin, account=account)
    OrderFactory(actor=admin, account=account)
    InvoiceFactory(actor=admin, account=account)
    return account, ["2 orders", "1 invoice"]


def contact_with_erasure_request(admin):
    """A contact who asked to be forgotten: the request is the proof it was honoured, so the
    contact is anonymised, never deleted, while it exists."""
    from vinculo.customers.services import erasure_request

    contact = ContactFactory(actor=admin)
    with as_user(admin):
        erasure_request(contact=contact, source="portal")
    return contact, ["1 erasure request"]


class TestCustomerDeletions(DeletionSuite):
    deletions = [Deletion("account", account_with_documents, phrases_es=("2 pedidos", "1 factura"),
                          api="account", page="customers:account_delete"),
                 Deletion("contact", contact_with_erasure_request,
                          phrases_es=("1 solicitud de borrado",), api="contact",
                          page="customers:contact_delete")]
