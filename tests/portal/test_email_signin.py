"""Sign-in by e-mailed link: sent through a real SMTP server, works once, expires, dies with
a password change, opens only the portal user it was sent to, and the request page says the
same whether or not the address is known."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing
from django.core.cache import cache
from django.test import Client

from tests.portal.factories import PORTAL_PASSWORD, portal_user
from vinculo.core.tenancy import organization_scope
from vinculo.portal import email_signin
from vinculo.portal.models import PortalActivity, PortalUser

LINK = re.compile(r"https?://[^/\s]+(/portal/login/link/[^/\s]+/)")


def _ask(email: str, client: Client | None = None):
    return (client or Client()).post("/portal/login/link/", {"email": email})


def _links(inbox) -> list[str]:
    return [LINK.search(m.get_payload(decode=True).decode()).group(1) for m in inbox]


@pytest.mark.django_db
def test_the_link_signs_in_once_and_an_unknown_address_gets_the_same_page(
        admin, mail_server, django_capture_on_commit_callbacks):
    user = portal_user(admin, email="lucia@norte.example", language="en")
    mail_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        known = _ask("LUCIA@norte.example")
    with django_capture_on_commit_callbacks(execute=True):
        unknown = _ask("nadie@norte.example")
    assert known.status_code == unknown.status_code == 200
    assert known.content.decode().replace("LUCIA@norte.example", "X") == \
        unknown.content.decode().replace("nadie@norte.example", "X")  # no enumeration
    (message,) = mail_server  # one message: none for the unknown address
    assert message["To"] == "lucia@norte.example"
    assert "15 minutes" in message.get_payload(decode=True).decode()
    (link,) = _links(mail_server)

    assert Client().get(link).status_code == 200  # a mail scanner's GET does not spend it
    browser = Client()
    response = browser.post(link)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert browser.get("/portal/").status_code == 200
    assert "_auth_user_id" not in browser.session
    with organization_scope(admin.organization_id):
        assert PortalActivity.objects.filter(portal_user=user,
                                             action="signed_in_link").count() == 1
    again = Client()
    assert again.post(link).status_code == 404  # used: refused
    assert again.get("/portal/").status_code == 302  # and no session came of it
    assert Client().get(link).status_code == 404


@pytest.mark.django_db
def test_expired_or_after_a_password_change_the_link_is_refused(admin):
    user = portal_user(admin)
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        token = email_signin.link_token(user)
    url = f"/portal/login/link/{token}/"
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        assert Client().post(url).status_code == 404  # 15 minutes: expired
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert Client().get(url).status_code == 200  # still good within its minutes
        with organization_scope(admin.organization_id):
            user.set_password("Otra-Clave-Nueva-2026")
            user.save(update_fields=["password"])
        assert Client().post(url).status_code == 404  # a new password ends it


@pytest.mark.django_db
def test_a_link_opens_only_its_own_user_never_another_organisation_s(
        admin, other_admin, mail_server, django_capture_on_commit_callbacks):
    """The same address on two organisations' portals gets one link each, and each opens
    only its own; a link re-pointed at the other user's id is refused."""
    ours = portal_user(admin, email="comun@example.com")
    theirs = portal_user(other_admin, email="comun@example.com")
    mail_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _ask("comun@example.com")
    assert len(mail_server) == 2
    forged = signing.loads(_links(mail_server)[0].split("/")[-2], salt=email_signin.SALT)
    other_pk = theirs.pk if forged["u"] == ours.pk else ours.pk
    forged_token = signing.dumps({**forged, "u": other_pk}, salt=email_signin.SALT)
    assert Client().post(f"/portal/login/link/{forged_token}/").status_code == 404
    for link in _links(mail_server):
        browser = Client()
        assert browser.post(link).status_code == 302
        who = PortalUser.all_objects.get(pk=browser.session["_portal_user"])
        home = browser.get("/portal/").content.decode()
        assert who.account.name in home
        other = theirs if who.pk == ours.pk else ours
        assert other.account.name not in home


@pytest.mark.django_db
def test_link_requests_are_rate_limited_and_bad_input_names_the_field(
        admin, mail_server, django_capture_on_commit_callbacks):
    portal_user(admin, email="rita@norte.example")
    mail_server.clear()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert _ask("rita@norte.example", client).status_code == 200
    assert len(mail_server) == 3  # VINCULO_PORTAL_LINK_REQUESTS, then the same page, no mail
    bad = _ask("no-es-un-correo", client)
    assert bad.status_code == 400 and 'name="email"' in bad.content.decode()
    assert "text-danger" in bad.content.decode()
    # the password sign-in is untouched by the link limit
    assert client.post("/portal/login/", {"email": "rita@norte.example",
                                          "password": PORTAL_PASSWORD}).status_code == 302


@pytest.fixture
def link_limits_cleared():
    """The link counters live in the cache, which outlives a test: start and end empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_one_address_gets_a_capped_number_of_links_whichever_clients_ask(
        admin, mail_server, django_capture_on_commit_callbacks, settings,
        link_limits_cleared):
    """Changing client address (a botnet, a proxy pool) does not flood one inbox: beyond
    VINCULO_PORTAL_LINK_REQUESTS_PER_ADDRESS nothing is sent, and the page is the same."""
    assert settings.VINCULO_PORTAL_LINK_REQUESTS_PER_ADDRESS == 5  # as the README states
    portal_user(admin, email="inundada@norte.example")
    mail_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        pages = [_ask("inundada@norte.example", Client(REMOTE_ADDR=f"198.51.100.{n}"))
                 for n in range(1, 9)]
    assert len(mail_server) == 5  # of 8 requests, each from a client of its own
    assert {m["To"] for m in mail_server} == {"inundada@norte.example"}
    assert {p.status_code for p in pages} == {200}
    assert pages[-1].content == pages[0].content  # held back or sent: the same answer
    # another address, from one of those clients, is not held back by it
    portal_user(admin, email="vecina@norte.example")
    with django_capture_on_commit_callbacks(execute=True):
        _ask("vecina@norte.example", Client(REMOTE_ADDR="198.51.100.8"))
    assert [m["To"] for m in mail_server][5:] == ["vecina@norte.example"]


@pytest.mark.django_db
def test_one_client_may_ask_thirty_times_in_all_then_gets_the_same_page_and_no_mail(
        admin, mail_server, django_capture_on_commit_callbacks, settings,
        link_limits_cleared):
    """Ten times VINCULO_PORTAL_LINK_REQUESTS (30) per client, whatever the addresses."""
    per_client = 10 * settings.VINCULO_PORTAL_LINK_REQUESTS
    assert per_client == 30
    portal_user(admin, email="treinta@norte.example")
    portal_user(admin, email="treintayuno@norte.example")
    mail_server.clear()
    client = Client(REMOTE_ADDR="203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(per_client - 1):  # unknown addresses count too (no mail for them)
            assert _ask(f"nadie{n}@norte.example", client).status_code == 200
        sent = _ask("treinta@norte.example", client)  # the 30th: sent
        held = _ask("treintayuno@norte.example", client)  # the 31st: held back
    assert [m["To"] for m in mail_server] == ["treinta@norte.example"]
    assert held.status_code == sent.status_code == 200
    assert held.content.decode().replace("treintayuno@", "X@") == \
        sent.content.decode().replace("treinta@", "X@")
    with django_capture_on_commit_callbacks(execute=True):  # another client is not held back
        _ask("treintayuno@norte.example", Client(REMOTE_ADDR="203.0.113.8"))
    assert [m["To"] for m in mail_server] == ["treinta@norte.example",
                                              "treintayuno@norte.example"]
