"""Documents of an account, made through the staff services: a sent quote, an order with a
delivery of part of it, an issued invoice, a ticket with an internal note; and a public
article. Each carries a secret word so a page that leaks it is caught."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.core.factories import as_user
from tests.sales.factories import OrderFactory, free_line
from tests.service.factories import ArticleFactory, QueueFactory, TicketFactory
from vinculo.attachments import services as attachments
from vinculo.attachments.models import RecordFile
from vinculo.billing import services as billing
from vinculo.billing.models import Invoice
from vinculo.core.models import User
from vinculo.customers.models import Account
from vinculo.portal.services import service_account_create
from vinculo.sales.documents import services as documents
from vinculo.sales.models import Order, Quote
from vinculo.service import services as desk
from vinculo.service.models import Article, Queue, Ticket


def documents_of(admin: User, account: Account, word: str) -> dict[type, object]:
    with as_user(admin):
        if not Queue.objects.exists():
            QueueFactory(actor=admin)
        quote = documents.quote_create(actor=admin, account=account,
                                       lines=[free_line(f"Oferta {word}", "2", "150.00")])
        quote = documents.quote_send(actor=admin, quote=quote)
        order = OrderFactory(actor=admin, account=account,
                             lines=[free_line(f"Pedido {word}", "10", "42.50"),
                                    free_line(f"Vinagre {word}", "4", "3.10")])
        line = order.lines.order_by("position", "id").first()
        documents.delivery_create(actor=admin, order=order, lines=[(line, Decimal("6"))])
        invoice = billing.invoice_issue(actor=admin, invoice=billing.invoice_from_order(
            actor=admin, order=order))
        ticket = TicketFactory(actor=admin, subject=f"Incidencia {word}", account=account)
        desk.ticket_note(actor=admin, ticket=ticket, body=f"NOTA-INTERNA {word}")
        article = ArticleFactory(actor=admin, title=f"Ayuda {word}", public=True)
        # a file sent on the ticket through the portal (by a portal service account)
        sender = service_account_create(admin.organization_id,
                                        SimpleNamespace(full_name=f"Cliente {word}"), account)
        sent = attachments.file_attach(actor=sender, record=ticket, upload=SimpleUploadedFile(
            f"foto-{word}.png", f"PNG {word}".encode(), "image/png"))
    return {Quote: quote, Order: order, Invoice: invoice, Ticket: ticket, Article: article,
            RecordFile: sent}
