"""Staff invite a contact from the account's 360° page; the e-mail goes through a real SMTP
server; the one-time link lets the contact choose a password and sign in at /portal/."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.portal.factories import PORTAL_PASSWORD, contact_of, invitation_link
from vinculo.core.tenancy import organization_scope
from vinculo.portal import services
from vinculo.portal.models import PortalInvitation, PortalUser


def _panel(page, account):
    return f"/portal/staff/panel/?record=customers.account:{account.uuid}"


@pytest.mark.django_db
def test_invited_from_the_account_page_the_contact_sets_a_password_and_signs_in(
        admin, page, mail_server, django_capture_on_commit_callbacks):
    account = AccountFactory(actor=admin, name="Ferretería Norte SL")
    contact = contact_of(admin, account, "Marta", "marta@norte.example", language="en")
    detail = page.get(f"/customers/accounts/{account.uuid}/").content.decode()
    assert "/portal/staff/panel/" in detail  # the record panel, through the contract
    panel = page.get(_panel(page, account)).content.decode()
    assert "Nobody from this account uses the portal yet" in panel

    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(_panel(page, account), {
            "record": f"customers.account:{account.uuid}", "contact": str(contact.uuid),
            "role": "payable"})
    assert response.status_code == 200 and "marta@norte.example" in response.content.decode()
    (message,) = mail_server
    assert message["To"] == "marta@norte.example"
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "Acme Ibérica invites you to its customer portal"  # the contact's language
    body = message.get_payload(decode=True).decode()
    link = invitation_link(body)
    with organization_scope(admin.organization_id):
        user = PortalUser.objects.get(email="marta@norte.example")
        invitation = PortalInvitation.objects.get(portal_user=user)
    assert not user.is_active and invitation.token_hash not in body  # only a hash is kept
    assert Client().post("/portal/login/", {"email": user.email, "password": ""}
                         ).status_code == 400  # no password yet: no way in

    browser = Client()
    assert browser.get(link).status_code == 200
    weak = browser.post(link, {"password": "123", "password2": "123"})
    assert weak.status_code == 400
    with organization_scope(admin.organization_id):
        user.refresh_from_db()
    assert not user.is_active  # nothing half-done
    done = browser.post(link, {"password": PORTAL_PASSWORD, "password2": PORTAL_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/portal/"
    home = browser.get("/portal/")
    assert home.status_code == 200 and "Ferretería Norte SL" in home.content.decode()
    assert "_auth_user_id" not in browser.session  # never a staff session
    assert Client().get(link).status_code == 404  # the link works once

    fresh = Client()
    assert fresh.post("/portal/login/", {"email": "MARTA@norte.example",
                                         "password": PORTAL_PASSWORD}).status_code == 302
    assert fresh.get("/portal/invoices/").status_code == 200
    panel = page.get(_panel(page, account)).content.decode()
    assert "Last sign-in" in panel and "Signed in" in panel and "Set their password" in panel


@pytest.mark.django_db
def test_bad_invitations_are_refused_naming_the_field(admin, other_admin):
    account = AccountFactory(actor=admin)
    stranger = contact_of(admin, AccountFactory(actor=admin), "Otro", "otro@x.example")
    no_mail = contact_of(admin, account, "Sin", "x@x.example")
    with as_user(admin):
        no_mail.email = ""
        no_mail.save()
    cases = [(dict(contact=stranger, role="buyer"), "contact"),
             (dict(contact=no_mail, role="buyer"), "contact"),
             (dict(contact=contact_of(admin, account, "Ok", "ok@x.example"), role="boss"),
              "role")]
    for kwargs, field in cases:
        with as_user(admin), pytest.raises(ValidationError) as refused:
            services.portal_user_invite(actor=admin, account=account, **kwargs)
        assert field in refused.value.message_dict, kwargs
    with organization_scope(admin.organization_id):
        assert not PortalUser.objects.exists() and not PortalInvitation.objects.exists()


@pytest.mark.django_db
def test_a_read_only_user_sees_the_panel_but_cannot_invite(users, client):
    admin = users["admin"]
    account = AccountFactory(actor=admin)
    contact = contact_of(admin, account)
    client.force_login(users["read_only"])
    url = f"/portal/staff/panel/?record=customers.account:{account.uuid}"
    assert client.get(url).status_code == 200
    assert 'name="role"' not in client.get(url).content.decode()
    response = client.post(url, {"contact": str(contact.uuid), "role": "buyer"})
    assert response.status_code == 403
    with organization_scope(admin.organization_id):
        assert not PortalUser.objects.exists()


@pytest.mark.django_db
def test_a_deactivated_portal_user_is_signed_out_at_once(admin, page):
    from tests.portal.factories import portal_user, signed_in

    user = portal_user(admin)
    browser = signed_in(user)
    assert browser.get("/portal/").status_code == 200
    response = page.post(f"/portal/staff/users/{user.uuid}/deactivate/")
    assert response.status_code == 200
    assert browser.get("/portal/").status_code == 302
    assert Client().post("/portal/login/", {"email": user.email, "password": PORTAL_PASSWORD}
                         ).status_code == 400
