"""The administrator's e-mail and web-form settings pages: mailboxes (the encrypted, write-only
IMAP password, "Test connection" against a real dovecot, the inbound token), e-mail templates
(merge fields checked) and public web forms (the public address and the embed snippet)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests import imap
from tests.conftest import make_user
from tests.core.factories import as_user
from vinculo.core import crypto
from vinculo.core.roles import Role
from vinculo.interactions import mailing, merge_fields, services
from vinculo.interactions.models import EmailMessage, EmailTemplate, Mailbox, WebForm

dovecot, mail_user = imap.dovecot, imap.mail_user

NOT_ADMINS = [r for r in Role.values if r != Role.ADMIN]


def mailbox_post(**changes) -> dict:
    data = {"name": "Soporte", "address": "soporte@acme.test", "imap_host": "", "imap_port": 993,
            "imap_ssl": "on", "imap_username": "", "password": "", "imap_folder": "INBOX",
            "processed_folder": "", "active": "on"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def imap_post(user: imap.MailUser, **changes) -> dict:
    return mailbox_post(**{"imap_host": imap.HOST, "imap_port": user.server.imap_port,
                           "imap_ssl": None, "imap_username": user.address,
                           "password": user.password, **changes})


def mailbox_of(admin) -> Mailbox:
    with as_user(admin):
        return Mailbox.objects.get()


def raw_message(message_id: str) -> bytes:
    return (f"From: Ana <ana@cliente.test>\r\nTo: soporte@acme.test\r\n"
            f"Subject: Hola\r\nMessage-ID: <{message_id}@cliente.test>\r\n"
            "Date: Mon, 7 Dec 2026 10:00:00 +0100\r\n\r\nBuenos dias.\r\n").encode()


# ---- mailboxes -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_password_is_stored_encrypted_never_shown_and_kept_when_left_empty(page, admin):
    response = page.post(reverse("interactions:mailbox_create"), mailbox_post(
        imap_host="imap.acme.test", imap_username="soporte", password="Sésamo-ábrete 42"))
    assert response.status_code == 302
    mailbox = mailbox_of(admin)
    assert response["Location"] == reverse("interactions:mailbox_update", args=[mailbox.uuid])
    stored = mailbox.imap_password
    assert "Sésamo" not in stored and stored != ""
    assert crypto.decrypt(stored) == "Sésamo-ábrete 42"

    body = page.get(response["Location"]).content.decode()
    assert "Sésamo" not in body and stored not in body
    assert 'type="password"' in body

    # Saved again with the password left empty: the stored one stays, other changes apply.
    response = page.post(response["Location"], mailbox_post(
        name="Soporte técnico", imap_host="imap.acme.test", imap_username="soporte",
        version=mailbox.version))
    assert response.status_code == 302
    mailbox = mailbox_of(admin)
    assert mailbox.name == "Soporte técnico"
    assert mailbox.imap_password == stored

    # A new password replaces it.
    page.post(reverse("interactions:mailbox_update", args=[mailbox.uuid]), mailbox_post(
        imap_host="imap.acme.test", imap_username="soporte", password="otra",
        version=mailbox.version))
    assert crypto.decrypt(mailbox_of(admin).imap_password) == "otra"


@pytest.mark.django_db
def test_bad_mailbox_input_names_the_field_and_writes_nothing(page, admin):
    page.post(reverse("interactions:mailbox_create"), mailbox_post())
    response = page.post(reverse("interactions:mailbox_create"), mailbox_post(name="Otra"))
    assert response.status_code == 400
    assert response.context["form"].errors["address"] == ["Another mailbox has this address."]
    response = page.post(reverse("interactions:mailbox_create"), mailbox_post(
        address="ventas@acme.test", imap_host="imap.acme.test", password="x"))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["imap_username"]
    response = page.post(reverse("interactions:mailbox_create"), mailbox_post(
        address="no es correo"))
    assert response.status_code == 400 and "address" in response.context["form"].errors
    with as_user(admin):
        assert list(Mailbox.objects.values_list("address", flat=True)) == ["soporte@acme.test"]


@pytest.mark.django_db
def test_a_stale_version_is_a_conflict_and_changes_nothing(page, admin):
    page.post(reverse("interactions:mailbox_create"), mailbox_post())
    mailbox = mailbox_of(admin)
    url = reverse("interactions:mailbox_update", args=[mailbox.uuid])
    assert page.post(url, mailbox_post(name="Primera", version=mailbox.version)).status_code == 302
    response = page.post(url, mailbox_post(name="Segunda", version=mailbox.version))
    assert response.status_code == 409
    assert "Someone else changed this record" in response.content.decode()
    assert mailbox_of(admin).name == "Primera"


@pytest.mark.django_db
def test_test_connection_succeeds_against_a_real_dovecot(page, admin, mail_user):
    page.post(reverse("interactions:mailbox_create"), imap_post(mail_user))
    mailbox = mailbox_of(admin)
    response = page.post(reverse("interactions:mailbox_test", args=[mailbox.uuid]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Connected to {imap.HOST}: logged in and opened the folder INBOX." in body
    assert mail_user.password not in body


@pytest.mark.django_db
def test_test_connection_names_a_wrong_password_and_a_missing_folder(page, admin, mail_user):
    page.post(reverse("interactions:mailbox_create"), imap_post(mail_user, password="wrong"))
    mailbox = mailbox_of(admin)
    body = page.post(reverse("interactions:mailbox_test", args=[mailbox.uuid])).content.decode()
    assert "The connection test failed." in body
    assert "The server refused the user name or password." in body

    page.post(reverse("interactions:mailbox_update", args=[mailbox.uuid]), imap_post(
        mail_user, imap_folder="No/Existe", version=mailbox.version))
    body = page.post(reverse("interactions:mailbox_test", args=[mailbox.uuid])).content.decode()
    assert "The folder does not exist on the server." in body


@pytest.mark.django_db
def test_test_connection_without_a_server_says_what_to_fill_in(page, admin):
    page.post(reverse("interactions:mailbox_create"), mailbox_post())
    mailbox = mailbox_of(admin)
    body = page.post(reverse("interactions:mailbox_test", args=[mailbox.uuid])).content.decode()
    assert "Give the IMAP server and user, and save, before testing." in body
    assert page.get(reverse("interactions:mailbox_test", args=[mailbox.uuid])).status_code == 405


@pytest.mark.django_db
def test_a_new_inbound_token_is_shown_once_works_and_retires_the_old_one(
        page, admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page.post(reverse("interactions:mailbox_create"), mailbox_post())
    mailbox = mailbox_of(admin)
    url = reverse("interactions:mailbox_token", args=[mailbox.uuid])
    body = page.post(url).content.decode()
    first = re.search(r'<code class="user-select-all text-break">([^<]+)</code>', body).group(1)
    assert f'-H "Authorization: Bearer {first}"' in body
    assert f"curl -X POST {settings.SITE_URL}/inbound/email/" in body
    assert first not in page.get(reverse("interactions:mailbox_update",
                                         args=[mailbox.uuid])).content.decode()
    assert first not in mailbox_of(admin).inbound_token_hash

    def deliver(token: str, message_id: str) -> int:
        return Client().post("/inbound/email/", raw_message(message_id),
                           content_type="message/rfc822",
                           HTTP_AUTHORIZATION=f"Bearer {token}").status_code

    assert deliver(first, "uno") == 202
    body = page.post(url).content.decode()
    second = re.search(r'<code class="user-select-all text-break">([^<]+)</code>', body).group(1)
    assert second != first
    assert deliver(first, "dos") == 401
    assert deliver(second, "tres") == 202
    with as_user(admin):
        assert sorted(EmailMessage.objects.values_list("message_id", flat=True)) == [
            "<tres@cliente.test>", "<uno@cliente.test>"]


@pytest.mark.django_db
def test_the_mailbox_list_shows_each_mailbox(page, admin):
    page.post(reverse("interactions:mailbox_create"), mailbox_post(
        imap_host="imap.acme.test", imap_username="soporte", imap_port=143))
    body = page.get(reverse("interactions:mailbox_list")).content.decode()
    assert "soporte@acme.test" in body and "imap.acme.test:143" in body


# ---- e-mail templates ------------------------------------------------------------------------


def template_post(**changes) -> dict:
    data = {"name": "Bienvenida", "language": "es",
            "subject": "Hola {{ contact.first_name }}",
            "body": "Un saludo de {{ organization.name }}.\n{{ user.full_name }}",
            "active": "on"}
    data.update(changes)
    return data


@pytest.mark.django_db
def test_an_administrator_creates_and_edits_a_template(page, admin):
    response = page.post(reverse("interactions:template_create"), template_post())
    assert response.status_code == 302
    with as_user(admin):
        template = EmailTemplate.objects.get()
    assert template.subject == "Hola {{ contact.first_name }}"
    response = page.post(response["Location"], template_post(
        subject="Bienvenido, {{ contact.full_name }}", version=template.version))
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.subject, template.version) == ("Bienvenido, {{ contact.full_name }}", 2)
    assert "Bienvenida" in page.get(reverse("interactions:template_list")).content.decode()


@pytest.mark.django_db
def test_the_template_page_lists_every_merge_field(page):
    body = page.get(reverse("interactions:template_create")).content.decode()
    help_box = body[body.index('id="merge-fields"'):]
    for name, fields in merge_fields.merge_fields().items():
        for field in fields:
            assert "{{ " + f"{name}.{field}" + " }}" in help_box


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"subject": "Hola {{ contact.apodo }}"}, "subject", "Unknown merge field {{ contact.apodo }}"),
    ({"body": "{{ cliente.nombre }}"}, "body", "Unknown merge field {{ cliente.nombre }}"),
    ({"body": "{% if contact.first_name %}Hola"}, "body", "The template has an error"),
    ({"body": "{{ contact.first_name|upper }"}, "body", "The template has an error"),
])
@pytest.mark.django_db
def test_a_bad_template_names_the_field_and_writes_nothing(page, admin, changes, field, message):
    response = page.post(reverse("interactions:template_create"), template_post(**changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in errors[field][0]
    with as_user(admin):
        assert not EmailTemplate.objects.exists()


@pytest.mark.django_db
def test_a_template_name_is_unique_per_language(page, admin):
    assert page.post(reverse("interactions:template_create"), template_post()).status_code == 302
    response = page.post(reverse("interactions:template_create"), template_post())
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [
        "A template with this name and language exists."]
    assert page.post(reverse("interactions:template_create"),
                     template_post(language="en")).status_code == 302
    with as_user(admin):
        assert EmailTemplate.objects.count() == 2


# ---- web forms -------------------------------------------------------------------------------


def webform_post(owner, **changes) -> dict:
    data = {"name": "Contacto web", "kind": "contact", "owner": str(owner.uuid), "active": "on",
            "thank_you": "Gracias, te escribimos pronto.", "max_per_hour": 5}
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_web_form_shows_its_public_address_and_an_iframe_snippet(page, admin, settings):
    response = page.post(reverse("interactions:webform_create"), webform_post(admin))
    assert response.status_code == 302
    with as_user(admin):
        form = WebForm.objects.get()
    assert form.owner == admin
    body = page.get(response["Location"]).content.decode()
    public = f"{settings.SITE_URL}/f/{form.uuid}/"
    assert f'id="public-url">{public}</a>' in body
    assert (f'&lt;iframe src=&quot;{public}&quot; title=&quot;Contacto web&quot;') in body
    visitor = Client()
    assert "Contacto web" in visitor.get(f"/f/{form.uuid}/").content.decode()
    assert public in page.get(reverse("interactions:webform_list")).content.decode()

    response = page.post(reverse("interactions:webform_update", args=[form.uuid]),
                         webform_post(admin, name="Reclamaciones", kind="complaint",
                                      version=form.version))
    assert response.status_code == 302
    form.refresh_from_db()
    assert (form.name, form.kind) == ("Reclamaciones", "complaint")


@pytest.mark.django_db
def test_a_web_form_owner_must_be_an_active_user_of_the_organisation_who_may_take_leads(
        page, admin, users, other_admin):
    response = page.post(reverse("interactions:webform_create"), webform_post(other_admin))
    assert response.status_code == 400 and "owner" in response.context["form"].errors
    response = page.post(reverse("interactions:webform_create"),
                         webform_post(users[Role.ANALYST]))
    assert response.status_code == 400
    assert response.context["form"].errors["owner"] == [
        "Choose a user whose role may create leads."]
    # A ticket form's submissions are not made in the owner's name: any active user will do.
    response = page.post(reverse("interactions:webform_create"),
                         webform_post(users[Role.ANALYST], kind="request"))
    assert response.status_code == 302
    with as_user(admin):
        assert list(WebForm.objects.values_list("kind", flat=True)) == ["request"]


@pytest.mark.django_db
def test_the_service_refuses_an_inactive_owner(admin, org):
    gone = make_user(org, Role.SALES_REP, "gone@acme.test")
    gone.is_active = False
    gone.save()
    with as_user(admin), pytest.raises(ValidationError) as refused:
        services.web_form_create(actor=admin, data={"name": "X", "kind": "request",
                                                  "owner": gone})
    assert refused.value.message_dict == {"owner": ["Choose an active user."]}


# ---- who may use these pages -----------------------------------------------------------------


def settings_urls(admin) -> list[tuple[str, str]]:
    with as_user(admin):
        mailbox = mailing.mailbox_create(actor=admin, data={"name": "M", "address": "m@acme.test"})
        template = mailing.email_template_create(actor=admin, data={
            "name": "T", "subject": "S", "body": "B"})
        form = services.web_form_create(actor=admin, data={"name": "F", "kind": "request",
                                                        "owner": admin})
    return [
        ("get", reverse("interactions:mailbox_list")),
        ("get", reverse("interactions:mailbox_create")),
        ("post", reverse("interactions:mailbox_create")),
        ("get", reverse("interactions:mailbox_update", args=[mailbox.uuid])),
        ("post", reverse("interactions:mailbox_update", args=[mailbox.uuid])),
        ("post", reverse("interactions:mailbox_test", args=[mailbox.uuid])),
        ("post", reverse("interactions:mailbox_token", args=[mailbox.uuid])),
        ("get", reverse("interactions:template_list")),
        ("get", reverse("interactions:template_create")),
        ("post", reverse("interactions:template_create")),
        ("get", reverse("interactions:template_update", args=[template.uuid])),
        ("post", reverse("interactions:template_update", args=[template.uuid])),
        ("get", reverse("interactions:webform_list")),
        ("get", reverse("interactions:webform_create")),
        ("post", reverse("interactions:webform_create")),
        ("get", reverse("interactions:webform_update", args=[form.uuid])),
        ("post", reverse("interactions:webform_update", args=[form.uuid])),
    ]


@pytest.mark.django_db
def test_only_administrators_may_open_the_settings_pages(client, users, admin):
    urls = settings_urls(admin)
    for role in NOT_ADMINS:
        client.force_login(users[role])
        for method, url in urls:
            assert getattr(client, method)(url).status_code == 403, (role, method, url)
    with as_user(admin):
        assert (Mailbox.objects.get().inbound_token_hash, EmailTemplate.objects.get().version,
                WebForm.objects.get().version) == ("", 1, 1)
    client.force_login(admin)
    for method, url in urls:
        if method == "get":
            assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_the_settings_menu_shows_only_to_administrators(client, users):
    client.force_login(users[Role.ADMIN])
    body = client.get(reverse("interactions:template_list")).content.decode()
    assert reverse("interactions:mailbox_list") in body and reverse("service:queue_list") in body
    client.force_login(users[Role.SERVICE_AGENT])
    body = client.get(reverse("service:desk")).content.decode()
    assert reverse("interactions:mailbox_list") not in body
    assert reverse("service:queue_list") not in body
