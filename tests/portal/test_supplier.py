"""The supplier portal: catalogue links, a supplier's own products only, its plan with its
author and history, bad input refused naming the field, staff's plan beside the forecast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.catalog.factories import ProductFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.portal.factories import portal_user, signed_in
from tests.sales.factories import OrderFactory
from vinculo.analytics.demand import add_months
from vinculo.catalog import supplier_services as links
from vinculo.catalog.models import ProductSupplier
from vinculo.core.tenancy import organization_scope
from vinculo.portal.models import SupplierPlan


def _supplier(admin, name="Aceites del Sur"):
    with as_user(admin):
        return AccountFactory(actor=admin, name=name, is_supplier=True)


def _world(admin):
    """A supplier with one linked product sold for months, a product it does not supply."""
    supplier = _supplier(admin)
    with as_user(admin):
        mine, other = ProductFactory(actor=admin), ProductFactory(actor=admin)
        links.product_supplier_set(actor=admin, product=mine, supplier=supplier,
                                   data={"supplier_code": "AS-77", "lead_time_days": "10",
                                         "cost": "3.20"})
        customer = AccountFactory(actor=admin)
        first = add_months(dt.date.today().replace(day=1), -6)
        for k in range(6):
            OrderFactory(actor=admin, account=customer, ordered_on=add_months(first, k),
                         lines=[{"product": mine, "quantity": Decimal(10 + k)}])
    user = portal_user(admin, supplier, role="supplier", first_name="Sara")
    return supplier, mine, other, user


def _month(n=0):
    return add_months(dt.date.today().replace(day=1), n)


@pytest.mark.django_db
def test_product_supplier_link_refuses_bad_input_naming_the_field(admin, api):
    supplier = _supplier(admin)
    with as_user(admin):
        product = ProductFactory(actor=admin)
        customer = AccountFactory(actor=admin)
    url = "/api/catalog/product-suppliers/"
    base = {"product": str(product.uuid), "supplier": str(supplier.uuid)}
    for field, value in (("cost", "-1"), ("lead_time_days", "tres"), ("currency", "EURO")):
        response = api.post(url, {**base, field: value}, format="json")
        assert response.status_code == 400 and field in response.json(), response.content
    response = api.post(url, {**base, "supplier": str(customer.uuid)}, format="json")
    assert response.status_code == 400 and "supplier" in response.json()
    with organization_scope(admin.organization_id):
        assert not ProductSupplier.objects.exists()  # nothing half-written
    response = api.post(url, {**base, "supplier_code": "X-1", "lead_time_days": "7",
                              "cost": "2.50"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["lead_time_days"] in (7, "7")


@pytest.mark.django_db
def test_product_page_links_a_supplier_and_names_the_bad_field(admin, page):
    supplier = _supplier(admin)
    with as_user(admin):
        product = ProductFactory(actor=admin)
    url = f"/catalog/products/{product.uuid}/suppliers/"
    bad = page.post(url, {"supplier": supplier.pk, "cost": "-3", "lead_time_days": "1"})
    assert bad.status_code == 400 and "Enter a cost of zero or more." in bad.content.decode()
    ok = page.post(url, {"supplier": supplier.pk, "supplier_code": "AS-1", "cost": "4",
                         "lead_time_days": "12", "currency": "EUR"})
    assert ok.status_code == 302
    shown = page.get(f"/catalog/products/{product.uuid}/").content.decode()
    assert "AS-1" in shown and supplier.name in shown


@pytest.mark.django_db
def test_supplier_sees_only_its_products_and_its_change_is_stored_with_author(
        admin, other_admin):
    supplier, mine, other, user = _world(admin)
    client = signed_in(user)
    listing = client.get("/portal/supply/").content.decode()
    assert mine.name in listing and other.name not in listing and "MASE" in listing
    with as_user(other_admin):
        foreign = ProductFactory(actor=other_admin)
        elsewhere = _supplier(other_admin, "Globex Supply")
        links.product_supplier_set(actor=other_admin, product=foreign, supplier=elsewhere,
                                   data={})
    with as_user(admin):  # linked to another supplier of the same organisation
        links.product_supplier_set(actor=admin, product=other,
                                   supplier=_supplier(admin, "Vecino Proveedor"), data={})
    for stranger in (other, foreign):
        url = f"/portal/supply/{stranger.uuid}/"
        assert client.get(url).status_code == 404
        assert client.post(url, {"month": f"{_month(1):%Y-%m}", "quantity": "1",
                                 "delivery_on": _month(1).isoformat()}).status_code == 404
    # a customer's portal user has no supply section at all
    buyer = portal_user(admin, role="buyer", first_name="Bea")
    assert signed_in(buyer).get("/portal/supply/").status_code == 404

    url = f"/portal/supply/{mine.uuid}/"
    month = _month(1)
    for qty in ("40", "35"):
        response = client.post(url, {"month": f"{month:%Y-%m}", "quantity": qty,
                                     "delivery_on": (month + dt.timedelta(days=9)).isoformat()})
        assert response.status_code == 302, response.content
    with organization_scope(admin.organization_id):
        rows = list(SupplierPlan.objects.order_by("id"))
    assert [r.quantity for r in rows] == [Decimal(40), Decimal(35)]  # history kept
    assert {r.author_id for r in rows} == {user.user_id} and rows[0].portal_user_id == user.pk
    assert "35" in client.get(url).content.decode()

    staff = signed_in_staff(admin)
    page = staff.get("/portal/staff/supply/").content.decode()
    assert mine.name in page and supplier.name in page and "35" in page


def signed_in_staff(admin):
    from django.test import Client

    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_bad_plans_are_refused_naming_the_field(admin):
    _, mine, other, user = _world(admin)
    client = signed_in(user)
    url = f"/portal/supply/{mine.uuid}/"
    month = _month(1)
    day = (month + dt.timedelta(days=3)).isoformat()
    cases = [({"month": f"{month:%Y-%m}", "quantity": "-5", "delivery_on": day},
              "no puede ser negativa"),
             ({"month": f"{_month(-1):%Y-%m}", "quantity": "5", "delivery_on": day},
              "Este mes ya ha terminado"),
             ({"month": f"{month:%Y-%m}", "quantity": "5", "delivery_on": "mañana"},
              "Introduzca una fecha")]
    for data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 400 and message in response.content.decode(), data
    from django.core.exceptions import ValidationError

    from vinculo.portal import supplier_services

    with organization_scope(admin.organization_id), pytest.raises(ValidationError) as exc:
        supplier_services.plan_confirm(portal_user=user, product=other, month=month,
                                       quantity="5", delivery_on=day)
    assert set(exc.value.message_dict) == {"product"}
    with organization_scope(admin.organization_id):
        assert not SupplierPlan.objects.exists()


@pytest.mark.django_db
def test_supplier_role_only_on_supplier_accounts(admin):
    from django.core.exceptions import ValidationError

    from tests.portal.factories import contact_of
    from vinculo.portal import services

    with as_user(admin):
        customer = AccountFactory(actor=admin)
    contact = contact_of(admin, customer, "Luis")
    with as_user(admin), pytest.raises(ValidationError) as exc:
        services.portal_user_invite(actor=admin, account=customer, contact=contact,
                                    role="supplier")
    assert "role" in exc.value.message_dict


@pytest.mark.django_db
def test_staff_enter_a_plan_line_with_who_and_when_and_read_plans_through_the_api(
        admin, users, api, other_admin):
    from vinculo.core.roles import Role

    supplier, mine, _other, user = _world(admin)
    month = _month(1)
    day = (month + dt.timedelta(days=4)).isoformat()
    signed_in(user).post(f"/portal/supply/{mine.uuid}/", {
        "month": f"{month:%Y-%m}", "quantity": "30", "delivery_on": day})
    with organization_scope(admin.organization_id):
        link = ProductSupplier.objects.get(product=mine, supplier=supplier)
    with as_user(other_admin):
        foreign = links.product_supplier_set(
            actor=other_admin, product=ProductFactory(actor=other_admin),
            supplier=_supplier(other_admin, "Globex Supply"), data={})
    data = {"product": str(mine.uuid), "link": str(link.uuid), "month": f"{month:%Y-%m}",
            "quantity": "45", "delivery_on": day}

    analyst = signed_in_staff(users[Role.ANALYST])  # sees the plan, may not change it
    page = analyst.get("/portal/staff/supply/").content.decode()
    assert mine.name in page and 'name="quantity"' not in page
    assert analyst.post("/portal/staff/supply/", data).status_code == 403

    staff = signed_in_staff(admin)
    assert 'name="quantity"' in staff.get("/portal/staff/supply/").content.decode()
    for bad, field, message in ((dict(quantity="-1"), "quantity", "cannot be negative"),
                                (dict(delivery_on="ayer"), "delivery_on", "Enter a date"),
                                (dict(link=str(foreign.uuid)), "supplier", "Not found"),
                                (dict(link="no-uuid"), "supplier", "Not found")):
        response = staff.post("/portal/staff/supply/", {**data, **bad})
        assert response.status_code == 400 and message in response.content.decode(), field
    with organization_scope(admin.organization_id):
        assert SupplierPlan.objects.count() == 1  # the refused ones wrote nothing
    response = staff.post("/portal/staff/supply/", data)
    assert response.status_code == 302 and response["Location"].endswith(f"#p-{mine.uuid}")
    with organization_scope(admin.organization_id):
        latest = SupplierPlan.objects.latest("id")
    assert (latest.quantity, latest.author_id, latest.portal_user_id) == (Decimal(45),
                                                                           admin.pk, None)
    page = staff.get("/portal/staff/supply/").content.decode()
    assert "45" in page and admin.get_full_name() in page  # who, beside the figure

    rows = api.get(f"/api/portal/supplier-plans/?product={mine.uuid}").json()["results"]
    assert [(r["quantity"], r["entered_by"]) for r in rows] == [("45.00", "staff"),
                                                                ("30.00", "supplier")]
    (current,) = api.get(f"/api/portal/supplier-plans/?product={mine.uuid}&latest=true"
                         f"&month={month:%Y-%m}").json()["results"]
    assert current["author_name"] == admin.get_full_name() and current["supplier"] == str(
        supplier.uuid)
    assert api.get("/api/portal/supplier-plans/?month=marzo").json()["results"] == []
