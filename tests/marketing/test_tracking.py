"""The public links of a campaign e-mail: pixel, click redirect, unsubscribe (RFC 8058).

No sign-in; a forged, altered or unknown link is a 404 and records nothing."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from tests.core.factories import as_user
from tests.marketing.factories import contacts, ready_campaign
from vinculo.customers.models import Consent
from vinculo.marketing import services, tracking
from vinculo.marketing.identifiers import new_token
from vinculo.marketing.models import CampaignRecipient, Suppression

pytestmark = pytest.mark.django_db
URL = "https://tienda.example.es/o?a=1"


@pytest.fixture
def recipient(admin):
    campaign = ready_campaign(admin, contacts(admin, 1), control_share=0, name="Rebajas")
    with as_user(admin):
        services.campaign_start(campaign=campaign, actor=admin)
    return CampaignRecipient.objects.get(campaign=campaign)


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(("/", ""))


def _fields(recipient):
    fresh = CampaignRecipient.objects.get(pk=recipient.pk)
    return fresh.opened_at, fresh.clicked_at, fresh.unsubscribed_at


def test_pixel_sets_opened_once_and_is_not_cached(recipient):
    links = tracking.Links(recipient.token)
    client = Client()
    response = client.get(_path(links.pixel()))
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-store" in response["Cache-Control"]
    first = _fields(recipient)[0]
    assert first is not None
    client.get(_path(links.pixel()))
    assert _fields(recipient)[0] == first


def test_a_response_is_one_indexed_read_and_the_first_one_a_single_update(
        recipient, django_assert_num_queries):
    links = tracking.Links(recipient.token)
    client = Client()
    with django_assert_num_queries(2):  # the read by token, the UPDATE
        assert client.get(_path(links.pixel())).status_code == 200
    with django_assert_num_queries(1):  # opened already: nothing to write
        assert client.get(_path(links.pixel())).status_code == 200
    with django_assert_num_queries(2):  # clicked_at (opened_at is kept)
        assert client.get(_path(links.click(URL))).status_code == 302
    with django_assert_num_queries(1):
        assert client.get(_path(links.click(URL))).status_code == 302
    opened, clicked, _unsub = _fields(recipient)
    assert opened is not None and clicked is not None and opened <= clicked


def test_signatures_are_djangos_salted_hmac_so_links_already_sent_keep_working(settings):
    from django.utils.crypto import salted_hmac

    token, url = new_token(), "https://tienda.example.es/ñ?a=1"
    for secret in ("first-secret-" + "x" * 40, "second-secret-" + "y" * 40):
        settings.SECRET_KEY = secret  # the derived key follows SECRET_KEY
        for kind, signed in (("open", ""), ("unsubscribe", ""), ("click", url)):
            expected = salted_hmac("vinculo.marketing.tracking", f"{kind}\n{token}\n{signed}",
                                   algorithm="sha256").hexdigest()[:32]
            assert tracking.signature(kind, token, signed) == expected
            assert tracking.valid(kind, token, expected, signed)


def test_click_records_and_redirects_only_to_the_signed_url(recipient):
    links = tracking.Links(recipient.token)
    response = Client().get(_path(links.click(URL)))
    assert response.status_code == 302 and response["Location"] == URL
    opened, clicked, _unsub = _fields(recipient)
    assert clicked is not None and opened is not None


@pytest.mark.parametrize("tamper", ["url", "sig", "token", "unknown", "scheme"])
def test_forged_links_are_404_and_record_nothing(recipient, tamper):
    links = tracking.Links(recipient.token)
    click = _path(links.click(URL))
    path = {
        "url": click.replace("tienda.example.es", "evil.example.com"),
        "sig": click.replace(tracking.signature("click", recipient.token, URL), "0" * 32),
        "token": click.replace(recipient.token, new_token()),
        "unknown": _path(tracking.Links(new_token()).click(URL)),  # well signed, no recipient
        "scheme": _path(links.click("javascript:alert(1)")),
    }[tamper]
    client = Client()
    assert client.get(path).status_code == 404
    forged_pixel = _path(links.pixel()).replace(recipient.token, new_token())
    assert client.get(forged_pixel).status_code == 404
    forged_unsub = _path(links.unsubscribe())[:-5] + "0000/"
    assert client.post(forged_unsub, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert _fields(recipient) == (None, None, None)
    assert not Suppression.all_objects.exists()


def test_unsubscribe_page_asks_and_one_click_post_withdraws_consent(recipient):
    links = tracking.Links(recipient.token)
    client = Client(enforce_csrf_checks=True)  # a mail client's POST carries no CSRF token
    page = client.get(_path(links.unsubscribe()))
    assert page.status_code == 200 and recipient.email in page.content.decode()
    assert _fields(recipient)[2] is None  # looking is not unsubscribing (link scanners)
    response = client.post(_path(links.unsubscribe()), "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert _fields(recipient)[2] is not None
    consent = Consent.all_objects.get(contact_id=recipient.contact_id, channel="email")
    assert consent.granted is False and consent.source == "campaign Rebajas"
    assert consent.recorded_at is not None
    suppression = Suppression.all_objects.get(email=recipient.email)
    assert suppression.reason == "unsubscribed" and suppression.campaign_id == \
        recipient.campaign_id
    # twice is harmless
    assert client.post(_path(links.unsubscribe())).status_code == 200
    assert Suppression.all_objects.count() == 1


def test_an_unsubscribed_contact_is_skipped_by_the_next_campaign(admin, recipient):
    Client().post(_path(tracking.Links(recipient.token).unsubscribe()))
    contact = recipient.contact
    others = contacts(admin, 1, prefix="otro")
    campaign = ready_campaign(admin, [contact, *others], control_share=0, segment_name="Dos")
    with as_user(admin):
        result = services.campaign_start(campaign=campaign, actor=admin)
    assert (result.pending, result.skipped) == (1, 1)


# ---- through the WSGI entry that `vinculo serve` runs (core.lean) ---------------------------


@pytest.fixture
def wsgi():
    """Call ``vinculo.wsgi.application`` as gunicorn does. Like Django's test client, keep
    the request signals from closing the test's connection (inside its transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from vinculo.wsgi import application

    def call(method: str, url: str) -> tuple[int, dict[str, str], bytes]:
        path, _, query = _path(url).partition("?")
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
                   "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
                   "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
                   "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO()}
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

        response = application(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()
        return answer["status"], answer["headers"], body

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield call
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_pixel_and_click_skip_the_middleware_and_still_record(recipient, wsgi,
                                                              django_assert_num_queries):
    links = tracking.Links(recipient.token)
    with django_assert_num_queries(2):  # the read and the first UPDATE: no session, no user
        status, headers, body = wsgi("GET", links.pixel())
    assert status == 200 and headers["Content-Type"] == "image/gif"
    assert body.startswith(b"GIF89a") and "no-store" in headers["Cache-Control"]
    assert headers["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still runs
    assert headers["Content-Length"] == str(len(body))  # not chunked by gunicorn
    # none of the full stack's work: no cookie, no CSP, no Vary on Cookie/language
    assert "Set-Cookie" not in headers and "Content-Security-Policy" not in headers
    assert "Vary" not in headers
    assert _fields(recipient)[0] is not None
    status, headers, _body = wsgi("GET", links.click(URL))
    assert status == 302 and headers["Location"] == URL
    assert _fields(recipient)[1] is not None
    # the unsubscribe page is a page: the full stack (CSP, CSRF, language)
    status, headers, body = wsgi("GET", links.unsubscribe())
    assert status == 200 and "Content-Security-Policy" in headers
    assert recipient.email.encode() in body


@pytest.mark.parametrize("tamper", ["url", "sig", "token", "unknown", "scheme", "shape"])
def test_forged_links_through_the_lean_door_are_404_and_record_nothing(recipient, wsgi,
                                                                        tamper):
    links = tracking.Links(recipient.token)
    click = links.click(URL)
    url = {
        "url": click.replace("tienda.example.es", "evil.example.com"),
        "sig": click.replace(tracking.signature("click", recipient.token, URL), "0" * 32),
        "token": click.replace(recipient.token, new_token()),
        "unknown": tracking.Links(new_token()).click(URL),
        "scheme": links.click("javascript:alert(1)"),
        "shape": links.pixel().rsplit("/", 2)[0] + "/",  # no signature segment at all
    }[tamper]
    status, _headers, body = wsgi("GET", url)
    assert (status, body) == (404, b"Not Found")
    status, _headers, _body = wsgi(
        "GET", links.pixel().replace(recipient.token, new_token()))
    assert status == 404
    assert _fields(recipient) == (None, None, None)
    assert not Suppression.all_objects.exists()


def test_lean_prefixes_are_the_fixed_start_of_each_route():
    from django.urls import get_resolver

    from vinculo.core.lean import LEAN_URLCONF, prefixes

    assert set(prefixes(get_resolver(LEAN_URLCONF).url_patterns)) == {"/m/o/", "/m/c/"}


@pytest.mark.django_db(transaction=True)
def test_the_first_open_is_recorded_in_autocommit_and_durability_stays_on_for_the_rest(
        admin, wsgi):
    """Outside a test transaction, as in production: on PostgreSQL the open's ``UPDATE``
    goes without waiting for its WAL flush, and only it (``SET LOCAL`` in its own implicit
    transaction): the connection's next writes are durable again."""
    from django.db import connection

    campaign = ready_campaign(admin, contacts(admin, 1), control_share=0)
    with as_user(admin):
        services.campaign_start(campaign=campaign, actor=admin)
    recipient = CampaignRecipient.objects.get(campaign=campaign)
    statements = []
    with connection.execute_wrapper(
            lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        status, _headers, _body = wsgi("GET", tracking.Links(recipient.token).pixel())
    assert status == 200 and _fields(recipient)[0] is not None
    assert len(statements) == 2 and statements[1].count("UPDATE") == 1
    if connection.vendor == "postgresql":
        assert statements[1].startswith("SET LOCAL synchronous_commit = off; UPDATE")
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
