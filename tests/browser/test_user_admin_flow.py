"""User administration in a real Chromium: an administrator invites a sales representative,
the invitation arrives through a real SMTP server, the invitee opens the one-time link (in
Spanish), chooses a password, is signed in with the given role — and does not reach the
administrators' pages. The people pages fit a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_pipeline_board import log_in
from tests.browser.test_settings_phone import PHONE
from tests.conftest import IMMEDIATE_TASKS
from tests.core.factories import as_user
from tests.smtp import smtp_server
from vinculo.core.models import Team, User
from vinculo.core.people import services
from vinculo.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox(settings, live_server):
    """A real SMTP server; the queued e-mail is sent at once; links point at the live server."""
    with smtp_server() as (port, messages):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.TASKS = IMMEDIATE_TASKS
        settings.SITE_URL = live_server.url
        yield messages


def test_invite_accept_and_sign_in_with_the_given_role(browser, browser_page, live_server,
                                                       admin, inbox):
    page = browser_page
    log_in(page, admin)
    page.goto("/settings/users/")
    page.get_by_role("link", name="Invite a user").click()
    page.get_by_label("E-mail").fill("lucia@acme.test")
    page.get_by_label("First name").fill("Lucía")
    page.get_by_label("Role").select_option(label="Sales representative")
    page.get_by_label("Team").select_option(label="North")
    page.get_by_role("button", name="Send the invitation").click()
    row = page.get_by_role("row", name=re.compile("lucia@acme.test"))
    expect(row).to_contain_text("Invited")
    expect(row).to_contain_text("Sales representative")

    (message,) = inbox
    assert message["To"] == "lucia@acme.test"
    link = re.search(r"(http\S+/invitation/\S+/)", message.get_payload(decode=True).decode())[1]

    invitee = browser.new_context(base_url=live_server.url, locale="es-ES", viewport=PHONE)
    mine = invitee.new_page()
    mine.set_default_timeout(15_000)
    mine.goto(link)
    expect(mine.get_by_role("heading", name="Bienvenido a Acme Ibérica")).to_be_visible()
    assert mine.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    mine.locator("[name=new_password1]").fill("Lucia-Vende-2026")
    mine.locator("[name=new_password2]").fill("Lucia-Vende-2026")
    mine.get_by_role("button", name="Guardar mi contraseña y entrar").click()
    expect(mine).to_have_url(re.compile(r"/$"))
    lucia = User.objects.get(email="lucia@acme.test")
    assert (lucia.is_active, lucia.role, lucia.team.name) == (True, Role.SALES_REP, "North")

    # what the role allows, and not the administrators' pages
    assert mine.goto("/customers/accounts/").status == 200
    expect(mine.locator('a[href="/settings/users/"]')).to_have_count(0)
    assert mine.goto("/settings/users/").status == 403
    assert mine.goto("/settings/teams/").status == 403
    # the link worked once
    assert mine.goto(link).status == 404
    invitee.close()


def test_the_people_pages_fit_a_phone(browser, live_server, admin, users):
    north = Team.all_objects.get(organization=admin.organization, name="North")
    with as_user(admin):
        invited = services.user_invite(actor=admin, data={
            "email": "una-direccion-muy-larga-de-verdad@subdominio.acme.test",
            "role": Role.ANALYST})
    admin.language = "es"  # signed in, the user's language (else the organisation's) rules
    admin.save(update_fields=["language"])
    context = browser.new_context(base_url=live_server.url, locale="es-ES", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.locator("[name=username]").fill(admin.email)
    page.locator("[name=password]").fill("Corr3ct-Horse-Battery")
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))
    for url, heading in (("/settings/users/", "Usuarios"),
                         ("/settings/users/invite/", "Invitar a un usuario"),
                         (f"/settings/users/{invited.uuid}/", invited.email),
                         (f"/settings/users/{admin.uuid}/", str(admin)),
                         ("/settings/teams/", "Equipos"),
                         ("/settings/teams/new/", "Nuevo equipo"),
                         (f"/settings/teams/{north.uuid}/", "Equipo North")):
        page.goto(url)
        expect(page.locator("h1")).to_contain_text(heading)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)
    context.close()
