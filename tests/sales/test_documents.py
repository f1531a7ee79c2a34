"""Quotes (prices, totals, versions, PDF, e-mail, acceptance), orders and deliveries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from tests.catalog.factories import ProductFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.sales.factories import DeliveryFactory, OrderFactory, free_line
from vinculo.catalog import services as catalog
from vinculo.sales.documents import selectors, services
from vinculo.sales.models import Order, Quote

TODAY = dt.date.today()


@pytest.mark.django_db
def test_quote_prices_catalogue_products_and_free_text_and_stores_totals(as_admin):
    oil = ProductFactory(actor=as_admin, list_price="42.50", tax_rate="10")
    account = AccountFactory(actor=as_admin)
    quote = services.quote_create(actor=as_admin, account=account, lines=[
        {"product": oil, "quantity": Decimal(10), "discount_percent": Decimal(10)},
        free_line("Transport", "1", "35.00", tax_rate="21"),
    ])
    lines = list(quote.lines.all())
    assert lines[0].description == oil.name and lines[0].unit_price == Decimal("42.50")
    assert lines[0].tax_rate == Decimal("10.00")
    assert (lines[0].net_amount, lines[0].tax_amount) == (Decimal("382.50"), Decimal("38.25"))
    assert (lines[1].net_amount, lines[1].tax_amount) == (Decimal("35.00"), Decimal("7.35"))
    quote.refresh_from_db()
    assert (quote.net_amount, quote.tax_amount, quote.total_amount) == (
        Decimal("417.50"), Decimal("45.60"), Decimal("463.10"))
    assert quote.number == f"Q-{TODAY.year}-000001" and quote.revision == 1


@pytest.mark.django_db
def test_account_price_list_wins_over_list_price(as_admin):
    oil = ProductFactory(actor=as_admin, list_price="42.50")
    account = AccountFactory(actor=as_admin)
    price_list = catalog.price_list_create(actor=as_admin, data={
        "name": "Key account", "currency": "EUR", "account": account,
        "valid_from": TODAY - dt.timedelta(days=1)})
    catalog.price_list_item_create(actor=as_admin, price_list=price_list, product=oil,
                                price=Decimal("39.00"))
    quote = services.quote_create(actor=as_admin, account=account,
                                  lines=[{"product": oil, "quantity": 2}])
    assert quote.lines.get().unit_price == Decimal("39.00")


@pytest.mark.django_db
def test_line_errors_name_the_line(as_admin):
    account = AccountFactory(actor=as_admin)
    with pytest.raises(ValidationError) as error:
        services.quote_create(actor=as_admin, account=account, lines=[
            free_line(), {"description": "No price", "quantity": 1}])
    assert "lines.1.unit_price" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.quote_create(actor=as_admin, account=account,
                              lines=[free_line(discount="120")])
    assert "lines.0.discount_percent" in error.value.message_dict
    assert Quote.objects.count() == 0


@pytest.mark.django_db
def test_editing_a_sent_quote_makes_a_new_version(as_admin, django_capture_on_commit_callbacks,
                                                  mail_server):
    account = AccountFactory(actor=as_admin, email="compras@cliente.es")
    quote = services.quote_create(actor=as_admin, account=account,
                                  lines=[free_line("A", "1", "100.00")])
    draft_edit = services.quote_update(actor=as_admin, quote=quote,
                                       lines=[free_line("A", "2", "100.00")])
    assert draft_edit.pk == quote.pk and draft_edit.total_amount == Decimal("242.00")
    with django_capture_on_commit_callbacks(execute=True):  # a real SMTP server receives it
        services.quote_send(actor=as_admin, quote=quote)
    quote.refresh_from_db()
    assert quote.status == "sent" and quote.sent_at is not None
    assert len(mail_server) == 1
    message = mail_server[0]
    assert message["To"] == "compras@cliente.es" and quote.number in message["Subject"]
    pdfs = [part.get_payload(decode=True) for part in message.walk()
            if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].startswith(b"%PDF")
    new = services.quote_update(actor=as_admin, quote=quote,
                                lines=[free_line("A", "3", "100.00")])
    quote.refresh_from_db()
    assert (new.number, new.revision, new.status) == (quote.number, 2, "draft")
    assert quote.status == "superseded" and quote.total_amount == Decimal("242.00")
    assert new.total_amount == Decimal("363.00")
    assert [q.revision for q in selectors.quote_versions(new)] == [2, 1]
    with pytest.raises(ValidationError):
        services.quote_update(actor=as_admin, quote=quote, lines=[free_line()])


@pytest.mark.django_db
def test_send_schedules_the_email_only_on_commit(as_admin, django_capture_on_commit_callbacks):
    account = AccountFactory(actor=as_admin, email="x@cliente.es")
    quote = services.quote_create(actor=as_admin, account=account, lines=[free_line()])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.quote_send(actor=as_admin, quote=quote)
    from django_tasks_db.models import DBTaskResult

    deliveries = DBTaskResult.objects.filter(task_path__endswith=".email_deliver")
    assert mail.outbox == [] and not deliveries.exists()  # nothing inside the transaction
    for callback in callbacks:  # after the commit: the e-mail's task, the event's subscribers
        callback()
    assert deliveries.count() == 1 and mail.outbox == []


@pytest.mark.django_db
def test_accepting_a_quote_makes_an_order_with_its_lines(as_admin):
    account = AccountFactory(actor=as_admin)
    quote = services.quote_create(actor=as_admin, account=account, lines=[
        free_line("A", "3", "10.00", discount="5"), free_line("B", "1", "7.77")])
    order = services.quote_accept(actor=as_admin, quote=quote,
                                  promised_date=TODAY + dt.timedelta(days=10))
    quote.refresh_from_db()
    assert quote.status == "accepted" and order.quote == quote
    assert order.number == f"SO-{TODAY.year}-000001"
    assert order.total_amount == quote.total_amount
    assert [(line.description, line.quantity, line.net_amount) for line in order.lines.all()] == [
        (line.description, line.quantity, line.net_amount) for line in quote.lines.all()]
    with pytest.raises(ValidationError):
        services.quote_accept(actor=as_admin, quote=quote, promised_date=TODAY)


@pytest.mark.django_db
def test_partial_and_complete_deliveries_keep_the_order_figures(as_admin):
    order = OrderFactory(actor=as_admin)
    oil, vinegar = order.lines.all()
    first = services.delivery_create(actor=as_admin, order=order,
                                     lines=[(oil, Decimal(4)), (vinegar, Decimal(4))])
    order.refresh_from_db()
    oil.refresh_from_db()
    assert (order.status, order.delivered_on, oil.delivered_quantity) == (
        "partial", None, Decimal(4))
    assert first.number == f"DN-{TODAY.year}-000001"
    with pytest.raises(ValidationError) as error:
        services.delivery_create(actor=as_admin, order=order, lines=[(oil, Decimal(7))])
    assert "more than the 6 that remain" in str(error.value)
    later = TODAY + dt.timedelta(days=2)
    services.delivery_create(actor=as_admin, order=order, lines=[(oil, Decimal(6))],
                             delivered_on=later)
    order.refresh_from_db()
    assert (order.status, order.delivered_on) == ("delivered", later)
    with pytest.raises(ValidationError):
        services.delivery_create(actor=as_admin, order=order, lines=[(oil, Decimal(1))])
    assert [row["remaining"] for row in selectors.order_lines_remaining(order)] == [0, 0]


@pytest.mark.django_db
def test_read_only_role_cannot_create_documents(users):
    read_only = users["read_only"]
    account = AccountFactory(actor=users["admin"])
    with as_user(read_only):
        from vinculo.core.services import PermissionDeniedError
        with pytest.raises(PermissionDeniedError):
            services.quote_create(actor=read_only, account=account, lines=[free_line()])
        assert Order.objects.count() == 0


@pytest.mark.django_db
def test_account_documents_lists_recent_ones(as_admin):
    order = OrderFactory(actor=as_admin)
    DeliveryFactory(actor=as_admin, order=order)
    docs = selectors.account_documents(order.account)
    assert docs["orders"] == [order] and len(docs["deliveries"]) == 1
