"""The generic API and page suites for tickets, articles and the service-desk settings
(queues, SLA policies, business calendars, holidays, ticket types)."""

from __future__ import annotations

import datetime as dt
import itertools

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Deletion, DeletionSuite, Page, PageSuite
from tests.service.factories import (
    ArticleFactory,
    BusinessCalendarFactory,
    QueueFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from vinculo.service import services
from vinculo.service.models import Queue

MANAGE = "service.manage"
SETTINGS = {action: MANAGE for action in ("create", "update", "delete")}
SETTINGS_PAGES = {action: MANAGE for action in ("list", "create", "edit")}
_n = itertools.count(1)


def customer(admin, owner):
    return AccountFactory(actor=admin, owner=owner, team=owner.team)


def ticket(admin, owner):
    """A ticket about ``owner``'s customer (a queue is made first if there is none)."""
    if not Queue.all_objects.filter(organization_id=admin.organization_id).exists():
        QueueFactory(actor=admin)
    return TicketFactory(actor=admin, account=customer(admin, owner))


def article(admin, owner):
    return ArticleFactory(actor=admin)


def queue(admin, owner):
    return QueueFactory(actor=admin, name=f"Cola {next(_n)}")


def calendar(admin, owner):
    return BusinessCalendarFactory(actor=admin, name=f"Calendario {next(_n)}")


def policy(admin, owner):
    return SlaPolicyFactory(actor=admin, name=f"Política {next(_n)}")


def ticket_type(admin, owner):
    with as_user(admin):
        return services.ticket_type_create(actor=admin, data={
            "name": f"Garantía {next(_n)}", "kind": "complaint"})


def holiday(admin, owner):
    with as_user(admin):
        return services.holiday_create(actor=admin, calendar=calendar(admin, owner),
                                    date=dt.date(2027, 1, 1) + dt.timedelta(days=next(_n)),
                                    name="Fiesta")


class TestTicketApi(ApiSuite):
    api = Api("ticket", "service", ticket,
              create=lambda admin, user: {"subject": "No llega",
                                          "account": str(customer(admin, user).uuid)},
              update=lambda record: {"subject": "No llega el pedido 2"},
              delete=True,
              calls=(Call("note", "service.change", payload=lambda a, u, r: {"body": "interna"}),
                     Call("metrics", "service.metrics", method="get", detail=False)))


class TestArticleApi(ApiSuite):
    api = Api("article", "kb", article,
              create=lambda admin, user: {"title": "Devoluciones", "body": "Cómo devolver"},
              update=lambda record: {"keywords": "devolver"},
              delete=True)


class TestQueueApi(ApiSuite):
    api = Api("queue", "service", queue, permissions=SETTINGS,
              create=lambda admin, user: {"name": "Cola nueva"},
              update=lambda record: {"name": f"{record.name} bis"})


class TestSlaPolicyApi(ApiSuite):
    api = Api("sla-policy", "service", policy, permissions=SETTINGS,
              create=lambda admin, user: {"name": "Oro", "tier": "gold"},
              update=lambda record: {"warn_percent": 70})


class TestBusinessCalendarApi(ApiSuite):
    api = Api("business-calendar", "service", calendar, permissions=SETTINGS,
              create=lambda admin, user: {"name": "Lisboa", "timezone": "Europe/Lisbon",
                                          "weekly_hours": {"0": [["09:00", "17:00"]]}},
              update=lambda record: {"name": "Madrid centro"},
              calls=(Call("import-holidays", MANAGE,
                          payload=lambda a, u, r: {"country": "ES", "year": 2027}),))


class TestTicketTypeApi(ApiSuite):
    api = Api("ticket-type", "service", ticket_type, permissions=SETTINGS,
              create=lambda admin, user: {"name": "Avería en garantía", "kind": "incident"},
              update=lambda record: {"name": f"{record.name} bis", "order": 5},
              delete=True)


class TestHolidayApi(ApiSuite):
    api = Api("holiday", "service", holiday, permissions=SETTINGS, versioned=False,
              create=lambda admin, user: {"calendar": str(calendar(admin, user).uuid),
                                          "date": "2027-05-15", "name": "San Isidro"},
              delete=True)


class TestTicketPages(PageSuite):
    page = Page("ticket", "service", ticket, list="service:ticket_list",
                detail="service:ticket_detail", create="service:ticket_create",
                edit="service:ticket_update")


class TestArticlePages(PageSuite):
    page = Page("article", "kb", article, list="service:article_list",
                detail="service:article_detail", create="service:article_create",
                edit="service:article_update")


class TestQueuePages(PageSuite):
    page = Page("queue", "service", queue, list="service:queue_list",
                create="service:queue_create", edit="service:queue_update",
                permissions=SETTINGS_PAGES)


class TestSlaPolicyPages(PageSuite):
    page = Page("sla-policy", "service", policy, list="service:sla_list",
                create="service:sla_create", edit="service:sla_update",
                permissions=SETTINGS_PAGES)


class TestBusinessCalendarPages(PageSuite):
    page = Page("business-calendar", "service", calendar, list="service:calendar_list",
                create="service:calendar_create", edit="service:calendar_update",
                permissions=SETTINGS_PAGES)


class TestTicketTypePages(PageSuite):
    page = Page("ticket-type", "service", ticket_type, list="service:ticket_type_list",
                create="service:ticket_type_create", edit="service:ticket_type_update",
                permissions=SETTINGS_PAGES)


def ticket_type_with_tickets(admin):
    used = ticket_type(admin, admin)
    QueueFactory(actor=admin, name=f"Cola {next(_n)}")
    TicketFactory(actor=admin, ticket_type=used)
    TicketFactory(actor=admin, ticket_type=used)
    return used, ["2 tickets"]


class TestServiceDeletions(DeletionSuite):
    deletions = [Deletion("ticket-type", ticket_type_with_tickets, phrases_es=("2 tickets",),
                          api="ticket-type", page="service:ticket_type_delete")]
