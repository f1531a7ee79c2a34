"""What a portal user may see: their own account's documents, and nothing internal.

Every query starts from the portal user's account, so a record of another account (or
organisation, whose scope is not entered) is simply not found: a 404. Documents still being
prepared (draft quotes and invoices) are not the customer's yet and stay out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from vinculo.attachments import selectors as attachments
from vinculo.attachments.models import RecordFile
from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus, ReturnAuthorization
from vinculo.billing.selectors import with_balance
from vinculo.core.models import SERVICE_ACCOUNT_DOMAIN
from vinculo.customers.models import Account
from vinculo.interactions.models import Channel, Direction, Interaction
from vinculo.portal.models import PortalActivity, PortalRole, PortalUser
from vinculo.portal.services import SERVICE_ACCOUNT_PREFIX
from vinculo.sales.models import Delivery, Order, OrderLine, Quote, QuoteStatus
from vinculo.service.models import Article, ArticleStatus, Ticket

#: Which parts of the portal each portal role reaches (home and profile: everyone).
SECTIONS: dict[str, frozenset[str]] = {
    "quotes": frozenset({PortalRole.BUYER}),
    "orders": frozenset({PortalRole.BUYER, PortalRole.TECHNICAL, PortalRole.PAYABLE}),
    "invoices": frozenset({PortalRole.BUYER, PortalRole.PAYABLE}),
    "tickets": frozenset(PortalRole.values),
    "articles": frozenset(PortalRole.values),
    "returns": frozenset({PortalRole.BUYER}),
    "supply": frozenset({PortalRole.SUPPLIER}),  # portal/supplier_views.py
}

RECENT = 5


def sections(portal_user: PortalUser) -> set[str]:
    return {name for name, roles in SECTIONS.items() if portal_user.role in roles}


def session_user(pk: Any) -> PortalUser | None:
    """The active portal user a session names, with what every page shows (organisation,
    account, contact), in one query; None once deactivated or the account closed."""
    if not isinstance(pk, int):
        return None
    return (PortalUser.all_objects
            .select_related("organization", "account", "contact", "user")
            .filter(pk=pk, is_active=True, account__active=True).first())


def quotes(portal_user: PortalUser) -> QuerySet:
    return (Quote.objects.filter(account_id=portal_user.account_id)
            .exclude(status=QuoteStatus.DRAFT).order_by("-created_at", "-id"))


def orders(portal_user: PortalUser) -> QuerySet:
    return Order.objects.filter(account_id=portal_user.account_id).order_by("-ordered_on", "-id")


def order_detail(portal_user: PortalUser, uuid: Any) -> Order | None:
    return (orders(portal_user).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("position", "id")),
        Prefetch("deliveries", queryset=Delivery.objects.prefetch_related(
            "lines__order_line").order_by("delivered_on", "id")))
        .filter(uuid=uuid).first())


def pending_lines(order: Order) -> list[dict[str, Any]]:
    """Each line with what was delivered and what is still pending."""
    rows = []
    for line in order.lines.all():
        pending = max(line.quantity - line.delivered_quantity, 0)
        rows.append({"line": line, "delivered": line.delivered_quantity, "pending": pending})
    return rows


def invoices(portal_user: PortalUser) -> QuerySet:
    return with_balance(Invoice.objects.filter(account_id=portal_user.account_id)
                        .exclude(status=InvoiceStatus.DRAFT)
                        .order_by("-issue_date", "-id"))


def invoice_state(invoice: Invoice, today: dt.date | None = None) -> str:
    """``paid``, ``overdue``, ``open`` (or ``credit`` for a credit note)."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return "credit"
    if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.CREDITED) or \
            getattr(invoice, "outstanding", 1) <= 0:
        return "paid"
    today = today or timezone.localdate()
    return "overdue" if invoice.due_date and invoice.due_date < today else "open"


def tickets(portal_user: PortalUser) -> QuerySet:
    return Ticket.objects.filter(account_id=portal_user.account_id).order_by("-created_at", "-id")


def ticket_files(ticket: Ticket) -> QuerySet:
    """The files of a ticket that came in through the portal (uploaded by a portal user's
    service account, so by this account's contacts: only they reach the ticket). What staff
    attach to a ticket has no public mark and stays internal, like their notes."""
    return (attachments.files_of(ticket)
            .filter(uploaded_by__email__startswith=SERVICE_ACCOUNT_PREFIX,
                    uploaded_by__email__endswith=f"@{SERVICE_ACCOUNT_DOMAIN}")
            .order_by("created_at", "id"))


def ticket_file(portal_user: PortalUser, uuid: Any) -> RecordFile | None:
    """A portal file of one of the portal user's account's tickets, or None (a 404)."""
    kind = ContentType.objects.get_for_model(Ticket)
    row = (RecordFile.objects.filter(uuid=uuid, record_type=kind).first()
           if uuid is not None else None)
    if row is None:
        return None
    ticket = tickets(portal_user).filter(pk=row.record_id).first()
    if ticket is None or not ticket_files(ticket).filter(pk=row.pk).exists():
        return None
    return row


def conversation(ticket: Ticket) -> list[Interaction]:
    """The public conversation of a ticket: the e-mails exchanged with the customer and what
    they wrote on the portal. Internal notes (``TicketEntry``) and logged calls are the
    company's own and never come here."""
    if ticket.account_id is None:  # a portal ticket always has its account; no other is shown
        return []
    kind = ContentType.objects.get_for_model(Ticket)
    # only what was exchanged with this customer: an e-mail staff logged on the ticket with a
    # supplier or a colleague names another account (or none) and stays the company's
    return list(Interaction.objects.filter(
        related_type=kind, related_id=ticket.pk, account_id=ticket.account_id,
        channel__in=(Channel.EMAIL, Channel.WEB_FORM)).select_related("user")
        .order_by("occurred_at", "id"))


def is_customer(interaction: Interaction) -> bool:
    return interaction.direction == Direction.INBOUND


def returns(portal_user: PortalUser) -> QuerySet:
    return (ReturnAuthorization.objects.filter(account_id=portal_user.account_id)
            .select_related("order").order_by("-requested_on", "-id"))


def articles() -> QuerySet:
    """The knowledge base's public, published articles."""
    return Article.objects.filter(public=True, status=ArticleStatus.PUBLISHED)


def home(portal_user: PortalUser) -> dict[str, Any]:
    """What the home page counts: what waits for the customer."""
    allowed = sections(portal_user)
    figures: dict[str, Any] = {}
    if "quotes" in allowed:
        figures["quotes"] = quotes(portal_user).filter(status=QuoteStatus.SENT).count()
    if "orders" in allowed:
        # EXISTS per order of the account (index probes), not a join to every order line of
        # the organisation with a DISTINCT over whole orders (bench/portal.py)
        figures["orders"] = orders(portal_user).filter(Exists(OrderLine.all_objects.filter(
            order=OuterRef("pk"), quantity__gt=F("delivered_quantity")))).count()
    if "invoices" in allowed:
        rows = list(invoices(portal_user).filter(kind=InvoiceKind.INVOICE,
                                                 status=InvoiceStatus.ISSUED))
        figures["invoices"] = sum(1 for row in rows if invoice_state(row) != "paid")
        figures["overdue"] = sum(1 for row in rows if invoice_state(row) == "overdue")
    if "tickets" in allowed:
        figures["tickets"] = tickets(portal_user).filter(
            status__in=("new", "open", "waiting")).count()
    return figures


def account_portal(account: Account) -> list[dict[str, Any]]:
    """Staff's panel: who of the account uses the portal, last sign-in, recent actions."""
    people = list(PortalUser.objects.filter(account=account).select_related("contact"))
    recent: dict[int, list[PortalActivity]] = {person.pk: [] for person in people}
    for activity in PortalActivity.objects.filter(portal_user__account=account)[:50]:
        if len(recent[activity.portal_user_id]) < RECENT:
            recent[activity.portal_user_id].append(activity)
    return [{"person": person, "activities": recent[person.pk]} for person in people]
