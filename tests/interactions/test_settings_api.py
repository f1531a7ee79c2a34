"""The API of the e-mail and web-form settings: administrators write, the password never
leaves the server, a stale version is a conflict, errors name the field."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests import imap
from tests.conftest import token_client
from tests.core.factories import as_user
from vinculo.core import crypto
from vinculo.core.models import AuditEntry
from vinculo.core.roles import Role
from vinculo.interactions.models import EmailTemplate, Mailbox, WebForm

dovecot, mail_user = imap.dovecot, imap.mail_user

NOT_ADMINS = [r for r in Role.values if r != Role.ADMIN]
PASSWORD = "Contraseña-IMAP-7"


def mailbox_payload(**changes) -> dict:
    return {"name": "Soporte", "address": "Soporte@Acme.test", "imap_host": "imap.acme.test",
            "imap_port": 993, "imap_ssl": True, "imap_username": "soporte",
            "password": PASSWORD, "imap_folder": "INBOX", **changes}


@pytest.mark.django_db
def test_the_password_is_write_only_and_stored_encrypted(api, admin):
    responses = [api.post("/api/mailboxes/", mailbox_payload(), format="json")]
    assert responses[0].status_code == 201, responses[0].data
    created = responses[0].json()
    assert created["address"] == "soporte@acme.test"
    assert created["has_password"] is True and created["has_inbound_token"] is False
    with as_user(admin):
        mailbox = Mailbox.objects.get()
    stored = mailbox.imap_password
    assert PASSWORD not in stored and crypto.decrypt(stored) == PASSWORD

    url = f"/api/mailboxes/{created['id']}/"
    responses += [api.get(url), api.get("/api/mailboxes/"),
                  api.patch(url, {"name": "Soporte 2", "version": 1}, format="json")]
    assert responses[-1].status_code == 200
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.imap_password) == ("Soporte 2", stored)  # omitted: kept
    responses.append(api.patch(url, {"password": "nueva", "version": 2}, format="json"))
    mailbox.refresh_from_db()
    assert crypto.decrypt(mailbox.imap_password) == "nueva"
    responses.append(api.patch(url, {"password": "", "version": 3}, format="json"))
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "" and responses[-1].json()["has_password"] is False
    for response in responses:
        body = response.content.decode()
        assert "password\"" not in body.replace("has_password\"", "")
        assert PASSWORD not in body and stored not in body and "nueva" not in body


@pytest.mark.django_db
def test_mailbox_errors_are_keyed_by_field_and_write_nothing(api, admin):
    api.post("/api/mailboxes/", mailbox_payload(), format="json")
    response = api.post("/api/mailboxes/", mailbox_payload(name="Otra"), format="json")
    assert response.status_code == 400
    assert response.json() == {"address": ["Another mailbox has this address."]}
    response = api.post("/api/mailboxes/", mailbox_payload(address="b@acme.test",
                                                          imap_username=""), format="json")
    assert response.status_code == 400 and list(response.json()) == ["imap_username"]
    with as_user(admin):
        assert Mailbox.objects.count() == 1


@pytest.mark.django_db
def test_test_connection_and_token_through_the_api(api, admin, mail_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mailbox = api.post("/api/mailboxes/", mailbox_payload(
        imap_host=imap.HOST, imap_port=mail_user.server.imap_port, imap_ssl=False,
        imap_username=mail_user.address, password=mail_user.password), format="json").json()
    url = f"/api/mailboxes/{mailbox['id']}/"
    assert api.post(url + "test-connection/").json() == {
        "ok": True, "code": "", "problem": "", "detail": ""}
    api.patch(url, {"password": "mal", "version": 1}, format="json")
    check = api.post(url + "test-connection/").json()
    assert (check["ok"], check["code"]) == (False, "auth")
    assert check["problem"] == "The server refused the user name or password."
    assert mail_user.address in check["detail"] and "mal" not in json.dumps(check)

    response = api.post(url + "token/")
    assert response.status_code == 201
    token = response.json()["token"]
    assert response.json()["endpoint"] == f"{settings.SITE_URL}/inbound/email/"
    raw = (b"From: ana@cliente.test\r\nTo: soporte@acme.test\r\nSubject: Hola\r\n"
           b"Message-ID: <api-1@cliente.test>\r\n\r\nHola.\r\n")
    inbound = Client().post("/inbound/email/", raw, content_type="message/rfc822",
                            HTTP_AUTHORIZATION=f"Bearer {token}")
    assert inbound.status_code == 202
    assert token not in api.get(url).content.decode()
    assert api.get(url).json()["has_inbound_token"] is True


def template_payload(**changes) -> dict:
    return {"name": "Seguimiento", "language": "es",
            "subject": "Su pedido, {{ contact.first_name }}",
            "body": "Un saludo,\n{{ user.full_name }}", "active": True, **changes}


@pytest.mark.django_db
def test_templates_are_checked_and_readable_by_those_who_write_e_mail(api, admin, users):
    response = api.post("/api/email-templates/", template_payload(), format="json")
    assert response.status_code == 201
    template = response.json()
    response = api.post("/api/email-templates/", template_payload(
        name="Otra", body="{{ contact.telefono_secreto }}"), format="json")
    assert response.status_code == 400 and list(response.json()) == ["body"]
    assert "Unknown merge field {{ contact.telefono_secreto }}" in response.json()["body"][0]
    response = api.post("/api/email-templates/", template_payload(
        name="Otra", subject="{% for x in contact %}"), format="json")
    assert response.status_code == 400 and list(response.json()) == ["subject"]
    response = api.post("/api/email-templates/", template_payload(), format="json")
    assert response.json() == {"name": ["A template with this name and language exists."]}
    with as_user(admin):
        assert EmailTemplate.objects.count() == 1

    response = api.patch(f"/api/email-templates/{template['id']}/", {
        "subject": "{{ account.name }}", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2

    agent = token_client(users[Role.SERVICE_AGENT])
    assert [t["name"] for t in agent.get("/api/email-templates/").json()["results"]] == [
        "Seguimiento"]
    assert agent.post("/api/email-templates/", template_payload(name="Mía"),
                      format="json").status_code == 403
    assert agent.patch(f"/api/email-templates/{template['id']}/", {
        "name": "Mía", "version": 2}, format="json").status_code == 403


@pytest.mark.django_db
def test_web_forms_through_the_api(api, admin, other_admin, settings):
    response = api.post("/api/web-forms/", {"name": "Contacto", "kind": "contact",
                                            "owner": str(admin.uuid)}, format="json")
    assert response.status_code == 201
    form = response.json()
    assert form["public_url"] == f"{settings.SITE_URL}/f/{form['id']}/"
    assert form["embed"].startswith(f'<iframe src="{form["public_url"]}" title="Contacto"')
    response = api.post("/api/web-forms/", {"name": "X", "kind": "contact",
                                            "owner": str(other_admin.uuid)}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["owner"]
    response = api.patch(f"/api/web-forms/{form['id']}/", {"kind": "survey", "version": 1},
                         format="json")
    assert response.status_code == 400 and list(response.json()) == ["kind"]
    response = api.patch(f"/api/web-forms/{form['id']}/", {"kind": "request", "version": 1},
                         format="json")
    assert response.status_code == 200 and response.json()["kind"] == "request"
    with as_user(admin):
        assert WebForm.objects.count() == 1


@pytest.mark.django_db
def test_the_audit_log_records_password_and_token_changes_but_never_their_values(api, admin):
    mailbox = api.post("/api/mailboxes/", mailbox_payload(), format="json").json()
    url = f"/api/mailboxes/{mailbox['id']}/"
    api.patch(url, {"password": "otra-clave", "version": 1}, format="json")
    token = api.post(url + "token/").json()["token"]
    with as_user(admin):
        stored = Mailbox.objects.get()
        entries = list(AuditEntry.objects.filter(object_uuid=stored.uuid).order_by("id"))
    assert [sorted(e.changes) for e in entries[1:]] == [["imap_password"],
                                                        ["inbound_token_hash"]]
    log = api.get("/api/audit/").content.decode()
    for secret in (stored.imap_password, stored.inbound_token_hash, token, PASSWORD,
                   "otra-clave"):
        assert secret not in log
