"""An account that documents point to is deactivated instead of deleted (issue 17): it leaves
the default lists and the pickers, keeps its history, and the refusal speaks the user's
language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.billing.factories import InvoiceFactory
from tests.customers.factories import AccountFactory, ContactFactory
from tests.sales.factories import OrderFactory
from vinculo.customers import services
from vinculo.customers.models import Account


@pytest.mark.django_db
def test_a_deactivated_account_leaves_lists_and_pickers_and_keeps_its_history(
        as_admin, api, page):
    kept = AccountFactory(actor=as_admin, name="Textil Norte SL")
    gone = AccountFactory(actor=as_admin, name="Textil Sur SL")
    order = OrderFactory(actor=as_admin, account=gone)
    services.account_deactivate(actor=as_admin, account=gone)
    gone.refresh_from_db()
    assert gone.active is False

    listed = page.get(reverse("customers:account_list")).content.decode()
    assert "Textil Norte SL" in listed and "Textil Sur SL" not in listed
    everyone = page.get(reverse("customers:account_list"), {"active": "all"}).content.decode()
    assert "Textil Norte SL" in everyone and "Textil Sur SL" in everyone
    only_gone = page.get(reverse("customers:account_list"), {"active": "false"}).content.decode()
    assert "Textil Norte SL" not in only_gone and "Textil Sur SL" in only_gone

    ids = {row["id"] for row in api.get(reverse("account-list")).json()["results"]}
    assert ids == {str(kept.uuid)}
    ids = {row["id"] for row in api.get(reverse("account-list"), {"active": "all"})
           .json()["results"]}
    assert ids == {str(kept.uuid), str(gone.uuid)}
    detail = api.get(reverse("account-detail", kwargs={"uuid": gone.uuid}))
    assert detail.status_code == 200 and detail.json()["active"] is False

    picked = page.get(reverse("sales:account_picker"), {"account_search": "Textil"})
    assert "Textil Norte SL" in picked.content.decode()
    assert "Textil Sur SL" not in picked.content.decode()
    new_quote = page.get(reverse("sales:quote_create")).content.decode()
    assert str(kept.uuid) in new_quote and str(gone.uuid) not in new_quote

    # its history stays: the record, its page (marked), its orders
    shown = page.get(reverse("customers:account_detail", kwargs={"uuid": gone.uuid}))
    assert shown.status_code == 200 and 'id="deactivated"' in shown.content.decode()
    assert page.get(reverse("sales:order_detail", kwargs={"uuid": order.uuid})).status_code == 200
    assert Account.objects.filter(pk=gone.pk).exists()

    # and it can be reactivated through the API
    back = api.patch(reverse("account-detail", kwargs={"uuid": gone.uuid}),
                     {"active": True, "version": detail.json()["version"]}, format="json")
    assert back.status_code == 200 and back.json()["active"] is True


@pytest.mark.django_db
def test_the_refusal_on_the_page_names_the_documents_in_the_users_language(as_admin, client):
    account = AccountFactory(actor=as_admin, name="Textil Sol SL")
    for _n in range(3):
        OrderFactory(actor=as_admin, account=account)
    InvoiceFactory(actor=as_admin, account=account)
    InvoiceFactory(actor=as_admin, account=account)
    as_admin.language = "es"
    as_admin.save(update_fields=["language"])
    client.force_login(as_admin)
    url = reverse("customers:account_delete", kwargs={"uuid": account.uuid})

    response = client.post(url)

    text = response.content.decode()
    assert response.status_code == 409
    assert "No se puede eliminar «Textil Sol SL»: todavía tiene 3 pedidos y 2 facturas." in text
    assert "Dar de baja" in text
    assert Account.objects.filter(pk=account.pk, active=True).exists()


@pytest.mark.django_db
def test_a_contact_nothing_points_to_is_still_deleted(as_admin, page):
    contact = ContactFactory(actor=as_admin)

    response = page.post(reverse("customers:contact_delete", kwargs={"uuid": contact.uuid}))

    assert response.status_code == 302
    assert not type(contact).objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["account", "contact"])
def test_a_deactivated_record_is_brought_back_from_its_page(kind, as_admin, page, users):
    from django.test import Client

    from vinculo.core.roles import Role

    if kind == "account":
        record = AccountFactory(actor=as_admin, name="Textil Sur SL")
        services.account_deactivate(actor=as_admin, account=record)
    else:
        record = ContactFactory(actor=as_admin, first_name="Marta", last_name="Sur")
        services.contact_deactivate(actor=as_admin, contact=record)
    detail = reverse(f"customers:{kind}_detail", args=[record.uuid])
    html = page.get(detail).content.decode()
    assert 'id="reactivate"' in html
    url = reverse(f"customers:{kind}_reactivate", args=[record.uuid])
    # a role that may not delete may not bring back either
    rep = Client()
    rep.force_login(users[Role.SALES_REP])
    assert rep.post(url).status_code == 403
    record.refresh_from_db()
    assert record.active is False
    response = page.post(url)
    assert response.status_code == 302 and response["Location"] == detail
    record.refresh_from_db()
    assert record.active is True
    assert 'id="reactivate"' not in page.get(detail).content.decode()
