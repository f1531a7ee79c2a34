"""The web-form embed snippet and public address use VINCULO_SITE_URL, never the host the
administrator happened to reach the server by (localhost, an internal name)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.core.factories import as_user
from vinculo.interactions.models import WebForm

pytestmark = pytest.mark.django_db

SITE = "https://crm.example.es"


@pytest.fixture
def web_form(page, admin):
    response = page.post(reverse("interactions:webform_create"), {
        "name": "Contacto web", "kind": "contact", "owner": str(admin.uuid), "active": "on",
        "thank_you": "Gracias.", "max_per_hour": 5})
    assert response.status_code == 302
    with as_user(admin):
        return WebForm.objects.get()


def test_the_embed_snippet_on_the_page_uses_the_site_url_not_the_request_host(
        page, web_form, settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["localhost"]
    body = page.get(reverse("interactions:webform_update", args=[web_form.uuid]),
                    HTTP_HOST="localhost:8000").content.decode()
    public = f"{SITE}/f/{web_form.uuid}/"
    assert f"&lt;iframe src=&quot;{public}&quot;" in body
    assert "localhost" not in body.split('id="embed"', 1)[1].split("</textarea>", 1)[0]


def test_the_embed_snippet_in_the_api_uses_the_site_url(api, web_form, settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["localhost"]
    form = api.get(f"/api/web-forms/{web_form.uuid}/", HTTP_HOST="localhost:8000").json()
    assert form["public_url"] == f"{SITE}/f/{web_form.uuid}/"
    assert form["embed"].startswith(f'<iframe src="{SITE}/f/{web_form.uuid}/"')
