""""New quote" on an opportunity makes a quote linked to it, shown on the opportunity."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.customers.factories import AccountFactory
from tests.sales.factories import OpportunityFactory
from vinculo.core.audit import acting_as
from vinculo.sales.models import Quote

pytestmark = pytest.mark.django_db


def quote_post(account, opportunity=None) -> dict:
    data = {"account": str(account.uuid), "line_0_description": "Consultoría",
            "line_0_quantity": "2", "line_0_unit_price": "150.00"}
    if opportunity is not None:
        data["opportunity"] = str(opportunity.uuid)
    return data


def test_new_quote_from_an_opportunity_links_the_quote_to_it(as_admin, page):
    opportunity = OpportunityFactory(actor=as_admin)
    detail = reverse("sales:opportunity_detail", args=[opportunity.uuid])
    body = page.get(detail).content.decode()
    assert "No quotes yet." in body
    link = (f'{reverse("sales:quote_create")}?account={opportunity.account.uuid}&amp;'
            f'opportunity={opportunity.uuid}')
    assert f'href="{link}"' in body
    form = page.get(link.replace("&amp;", "&")).content.decode()
    assert f'name="opportunity" value="{opportunity.uuid}"' in form
    assert f"“{opportunity.name}”" in form

    response = page.post(reverse("sales:quote_create"),
                         quote_post(opportunity.account, opportunity))
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert quote.opportunity == opportunity
    body = page.get(detail).content.decode()
    assert "No quotes yet." not in body
    assert reverse("sales:quote_detail", args=[quote.uuid]) in body


def test_a_quote_for_an_opportunity_must_be_for_its_account(as_admin, page):
    opportunity = OpportunityFactory(actor=as_admin)
    other = AccountFactory(actor=as_admin)
    response = page.post(reverse("sales:quote_create"), quote_post(other, opportunity))
    assert response.status_code == 400
    assert response.context["form"].errors["account"] == [
        "A quote for an opportunity is for the opportunity's account."]
    assert not Quote.objects.exists()


def test_an_opportunity_the_user_cannot_see_is_refused(as_admin, users, client):
    rep = users["sales_rep_south"]
    with acting_as(rep):
        account = AccountFactory(actor=rep)  # the representative's own account
    opportunity = OpportunityFactory(actor=as_admin, account=account,
                                     owner=as_admin)  # someone else's opportunity on it
    client.force_login(rep)
    response = client.post(reverse("sales:quote_create"), quote_post(account, opportunity))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["opportunity"]
    assert not Quote.objects.exists()
