"""A web form set up on the settings page, pasted into another site's page with the embed
snippet the page offers, and sent by a visitor from inside that iframe: a real Chromium, the
organisation's site on another origin (127.0.0.1, the form on localhost)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.test_pipeline_board import log_in
from tests.core.factories import as_user
from tests.service.factories import QueueFactory
from vinculo.service.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@contextmanager
def another_site(html: str) -> Iterator[str]:
    """A page of the organisation's own site, serving ``html``; yields its address."""
    body = html.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_visitor_sends_the_embedded_form_from_another_site(browser, live_server, admin,
                                                             settings):
    settings.SITE_URL = live_server.url  # http://localhost:…, another site than 127.0.0.1
    QueueFactory(actor=admin)
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, admin)
    page.goto("/interactions/settings/forms/new/")
    page.get_by_label("Name", exact=True).fill("Reclamaciones")
    page.get_by_label("Kind").select_option("complaint")
    page.get_by_label("Assign to").select_option(str(admin.uuid))
    page.get_by_role("button", name="Save").click()
    snippet = page.locator("#embed-snippet").input_value()
    assert snippet.startswith(f'<iframe src="{live_server.url}/f/')

    visitor = browser.new_context(locale="en-GB")
    site = visitor.new_page()
    site.set_default_timeout(15_000)
    with another_site(f"<!doctype html><title>Acme</title><h1>Contacto</h1>{snippet}") as url:
        site.goto(url)
        form = site.frame_locator("iframe")
        form.get_by_label("Your name").fill("Ana Ruiz")
        form.get_by_label("E-mail").fill("ana.ruiz@example.com")
        form.get_by_label("Subject").fill("Paquete dañado")
        form.get_by_label("Message").fill("El paquete llegó roto.")
        site.wait_for_timeout(2100)  # faster than a person is a robot (the time trap)
        form.get_by_role("button", name="Send").click()
        expect(form.locator("#form-done")).to_be_visible()
    with as_user(admin):
        ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.type, ticket.requester_email) == (
        "Paquete dañado", "complaint", "ana.ruiz@example.com")
    visitor.close()
    context.close()
