"""The generic API and page suites for interactions, tasks and the e-mail settings
(mailboxes, templates, web forms)."""

from __future__ import annotations

from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Page, PageSuite
from tests.interactions.factories import (
    EmailTemplateFactory,
    InteractionFactory,
    MailboxFactory,
    TaskFactory,
    WebFormFactory,
)

MANAGE = "interactions.manage"
SETTINGS = {action: MANAGE for action in ("list", "retrieve", "create", "update")}
SETTINGS_PAGES = {action: MANAGE for action in ("list", "create", "edit")}


def customer(admin, owner):
    return AccountFactory(actor=admin, owner=owner, team=owner.team)


def interaction(admin, owner):
    """A call on ``owner``'s account (handled by the admin)."""
    return InteractionFactory(actor=admin, account=customer(admin, owner))


def task(admin, owner):
    return TaskFactory(actor=admin, assignee=owner)


def mailbox(admin, owner):
    return MailboxFactory(actor=admin)


def template(admin, owner):
    return EmailTemplateFactory(actor=admin)


def web_form(admin, owner):
    return WebFormFactory(actor=admin)


class TestInteractionApi(ApiSuite):
    api = Api("interaction", "interactions", interaction,
              create=lambda admin, user: {"channel": "phone",
                                          "account": str(customer(admin, user).uuid)},
              update=lambda record: {"notes": "Quiere otra visita"},
              delete=True)


class TestTaskApi(ApiSuite):
    api = Api("task", "interactions", task,
              create=lambda admin, user: {"title": "Llamar", "due_at": "2030-01-15T09:00:00Z"},
              update=lambda record: {"title": "Llamar otra vez"},
              delete=True,
              calls=(Call("complete", "interactions.change", audit_rows=1),
                     Call("cancel", "interactions.change", audit_rows=1)))


class TestMailboxApi(ApiSuite):
    api = Api("mailbox", "interactions", mailbox, permissions=SETTINGS,
              create=lambda admin, user: {"name": "Ventas", "address": "ventas@acme.test"},
              update=lambda record: {"name": "Ventas 2"},
              calls=(Call("test-connection", MANAGE),
                     Call("token", MANAGE, ok=201, audit_rows=1)))


class TestEmailTemplateApi(ApiSuite):
    api = Api("email-template", "interactions", template,
              permissions={"create": MANAGE, "update": MANAGE},
              create=lambda admin, user: {"name": "Bienvenida", "subject": "Hola",
                                          "body": "Bienvenido"},
              update=lambda record: {"subject": "Hola de nuevo"})


class TestWebFormApi(ApiSuite):
    api = Api("web-form", "interactions", web_form, permissions=SETTINGS,
              create=lambda admin, user: {"name": "Contacto web", "kind": "contact",
                                          "owner": str(admin.uuid)},
              update=lambda record: {"thank_you": "¡Gracias!"})


class TestInteractionPages(PageSuite):
    page = Page("interaction", "interactions", interaction,
                list="interactions:interaction_list", detail="interactions:interaction_detail",
                create="interactions:interaction_log")


class TestTaskPages(PageSuite):
    page = Page("task", "interactions", task, list="interactions:task_list",
                detail="interactions:task_detail", create="interactions:task_create",
                edit="interactions:task_update")


class TestMailboxPages(PageSuite):
    page = Page("mailbox", "interactions", mailbox, list="interactions:mailbox_list",
                create="interactions:mailbox_create", edit="interactions:mailbox_update",
                permissions=SETTINGS_PAGES)


class TestEmailTemplatePages(PageSuite):
    page = Page("email-template", "interactions", template, list="interactions:template_list",
                create="interactions:template_create", edit="interactions:template_update",
                permissions=SETTINGS_PAGES)


class TestWebFormPages(PageSuite):
    page = Page("web-form", "interactions", web_form, list="interactions:webform_list",
                create="interactions:webform_create", edit="interactions:webform_update",
                permissions=SETTINGS_PAGES)
