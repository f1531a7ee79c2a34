"""A portal user is nobody on the staff site, and sees only their own account on the portal.

Both walks are generated from the URL configuration (like tests/core/test_tenancy.py), so a
page or endpoint added later is covered without editing this file.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from tests.core.test_tenancy import concrete, walk
from tests.customers.factories import AccountFactory
from tests.portal.factories import portal_user, signed_in
from tests.portal.routes import PORTAL, STAFF_OF_PORTAL, SUPPLY, record_routes
from tests.portal.world import documents_of
from vinculo.core.tenancy import organization_scope
from vinculo.service.models import Article


def staff_routes():
    for route, pattern in walk():
        if route.startswith(PORTAL) and not route.startswith(STAFF_OF_PORTAL):
            continue  # the portal's own pages: the walk below
        yield route, pattern


class RawClient(Client):
    """A client whose API answers are not checked against the OpenAPI description: the walk
    sends every method to every route, documented or not, to see it refused."""

    def request(self, **environ):
        return getattr(Client.request, "__wrapped__", Client.request)(self, **environ)


def _status(client: Client, method: str, url: str) -> tuple[int, str]:
    response = getattr(client, method)(url)
    return response.status_code, response.get("Location", "")


@pytest.mark.django_db
def test_a_portal_user_gets_404_from_every_staff_page_and_api(admin):
    """Every staff page and API route that refuses someone signed out (a redirect to the
    staff login, 401/403) answers a portal session 404, with every method; the public pages
    (the staff sign-in, an unsubscribe link, a web form) answer it as they answer anyone."""
    user = portal_user(admin)
    portal, anonymous = signed_in(user, RawClient()), RawClient()
    probe = str(uuid.uuid4())
    checked = hidden = 0
    for route, pattern in staff_routes():
        if pattern.name == "logout":
            continue  # signing out ends any session, the portal's too: that is all it does
        url = concrete(route, probe)
        for method in ("get", "post", "put", "patch", "delete"):
            as_portal = _status(portal, method, url)
            as_nobody = _status(anonymous, method, url)
            if as_nobody[0] in (401, 403) or "/login/" in as_nobody[1]:
                assert as_portal[0] == 404, (method.upper(), url, as_portal)
                hidden += 1
            else:
                assert as_portal == as_nobody, (method.upper(), url, as_portal, as_nobody)
            checked += 1
    assert checked > 1000 and hidden > 800, (checked, hidden)
    # and the session still is the portal's: the portal answers it
    assert portal.get("/portal/").status_code == 200


@pytest.mark.django_db
def test_a_staff_session_is_not_a_portal_user(admin, page):
    response = page.get("/portal/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/login/")


@pytest.mark.django_db
def test_portal_users_get_404_for_every_record_of_another_account_or_organisation(
        admin, other_admin):
    user = portal_user(admin)
    with organization_scope(admin.organization_id):
        own_account = user.account
        other_account = AccountFactory(actor=admin, name="Vecina Secreta SA")
    own = documents_of(admin, own_account, "PROPIO")
    neighbour = documents_of(admin, other_account, "VECINO")
    foreign = documents_of(other_admin, AccountFactory(actor=other_admin, name="Globex SA"),
                           "AJENO")
    with organization_scope(admin.organization_id):
        hidden_article = Article.objects.get(pk=own[Article].pk)
        hidden_article.public = False
        hidden_article.save()
        visible = Article.objects.create(organization_id=admin.organization_id, title="Pública",
                                         body="x", status="published", public=True)
    own[Article] = visible
    client = signed_in(user)
    checked = 0
    for route, _pattern, model in record_routes():
        if route.startswith(SUPPLY):
            continue  # a supplier's pages: a buyer has none; tests/portal/test_supplier.py
        assert model in own, f"no record to probe {route} (model {model})"
        assert client.get(concrete(route, str(own[model].uuid))).status_code == 200, route
        strangers = [neighbour[model], foreign[model]]
        if model is Article:  # the organisation's public help is every customer's: not
            strangers = [foreign[model], hidden_article]  # another's, nor an internal one
        for record in strangers:
            url = concrete(route, str(record.uuid))
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                allowed = (404, 405) if method == "post" else (404,)  # 405: not offered at all
                assert response.status_code in allowed, (method.upper(), url,
                                                          response.status_code)
                checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_lists_show_only_the_own_account(admin, other_admin):
    user = portal_user(admin)
    with organization_scope(admin.organization_id):
        other_account = AccountFactory(actor=admin, name="Vecina Secreta SA")
    documents_of(admin, user.account, "PROPIO")
    documents_of(admin, other_account, "VECINO")
    documents_of(other_admin, AccountFactory(actor=other_admin, name="Globex SA"), "AJENO")
    client = signed_in(user)
    for url in ("/portal/", "/portal/quotes/", "/portal/orders/", "/portal/invoices/",
                "/portal/tickets/"):
        body = client.get(url).content.decode()
        assert "VECINO" not in body and "AJENO" not in body and "Vecina" not in body, url
    help_page = client.get("/portal/help/").content.decode()  # the organisation's public help
    assert "Ayuda VECINO" in help_page and "AJENO" not in help_page
    assert "PROPIO" in client.get("/portal/tickets/").content.decode()


@pytest.mark.django_db
def test_each_portal_role_reaches_only_its_sections(admin):
    technical = portal_user(admin, role="technical", first_name="Teo")
    documents_of(admin, technical.account, "PROPIO")
    client = signed_in(technical)
    assert client.get("/portal/quotes/").status_code == 404
    assert client.get("/portal/invoices/").status_code == 404
    assert client.get("/portal/tickets/").status_code == 200
    home = client.get("/portal/").content.decode()
    assert "/portal/quotes/" not in home and "/portal/invoices/" not in home


def test_the_service_account_a_portal_user_acts_as_holds_only_the_portals_permissions(admin):
    """Its role lets the staff services and record rules run for it, but a staff service it
    calls refuses anything outside the portal's scope, so a check the portal's own code missed
    is not an administrator's reach; staff administrators are unaffected."""
    from vinculo.core.services import PermissionDeniedError, require
    from vinculo.portal.services import SERVICE_SCOPE

    acting = portal_user(admin).user
    assert acting.role == "admin" and not acting.is_active
    for permission in sorted(SERVICE_SCOPE):
        require(acting, permission)  # what the portal's actions need
    for permission in ("customers.delete", "customers.export", "billing.change",
                       "core.manage_users", "reports.view", "service.delete"):
        with pytest.raises(PermissionDeniedError):
            require(acting, permission)
        require(admin, permission)
