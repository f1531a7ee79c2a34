"""The export and the erasure of a person walk every app's ``personal_data`` declaration
(``core/privacy.py``): data made for one contact in each declaring app shows in the export,
and after an approved erasure the contact's name, e-mail and phone are found in no text column
of any row of the organisation. A failing eraser leaves nothing half-written."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage as Mime
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from openpyxl import Workbook, load_workbook

from tests.attachments.factories import attach, comment
from tests.automation.factories import rule
from tests.contracts.factories import ContractFactory
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.interactions.factories import TaskFactory, WebFormFactory
from tests.loyalty.factories import member, program
from tests.marketing.factories import CampaignFactory, segment_of
from tests.portal.factories import portal_user
from tests.portal.world import documents_of
from tests.sales.factories import OpportunityFactory, free_line
from vinculo.attachments.models import RecordFile
from vinculo.automation.models import Firing
from vinculo.billing import services as billing
from vinculo.billing.models import Invoice
from vinculo.core import plugins, privacy
from vinculo.core.models import AuditEntry
from vinculo.core.plugins import PersonalData
from vinculo.core.tenancy import organization_scope
from vinculo.customers import services as customers
from vinculo.customers.imports import services as importing
from vinculo.customers.models import Contact, ErasureRequest, ErasureStatus
from vinculo.integrations.models import WebhookDelivery, WebhookSubscription
from vinculo.interactions import mailing
from vinculo.interactions import services as interactions
from vinculo.interactions.models import (
    EmailMessage,
    Interaction,
    Thread,
    WebFormSubmission,
)
from vinculo.loyalty.models import LedgerEntry
from vinculo.marketing.actions.models import Suggestion
from vinculo.marketing.models import CampaignRecipient, Suppression
from vinculo.sales.models import Order, Quote
from vinculo.service import services as desk
from vinculo.service.models import Ticket

NAME, EMAIL, PHONE = "Zoraida Quintanilla", "zoraida.q@privado.example", "+34611222333"
FIRST, LAST = NAME.split()
MENTION = f"Llamar a {NAME} ({EMAIL}, {PHONE})"


@dataclass
class World:
    admin: Any
    contact: Contact
    account: Any
    portal: Any


def _contact(w: World) -> None:
    """The contact itself is made by the world (with its portal user)."""


def _consents(w: World) -> None:
    customers.consent_record(actor=w.admin, contact=w.contact, channel="email", granted=True)


def _leads(w: World) -> None:
    customers.lead_create(actor=w.admin, data={
        "first_name": FIRST, "last_name": LAST, "email": EMAIL, "company_name": "Casa",
        "notes": MENTION})


def _opportunities(w: World) -> None:
    OpportunityFactory(actor=w.admin, account=w.account, contact=w.contact,
                       name=f"Oferta para {NAME}")


def _quotes(w: World) -> None:
    docs = documents_of(w.admin, w.account, "PRIV")
    Quote.all_objects.filter(pk=docs[Quote].pk).update(contact=w.contact, notes=MENTION)
    Order.all_objects.filter(pk=docs[Order].pk).update(contact=w.contact, notes=MENTION)
    Ticket.all_objects.filter(pk=docs[Ticket].pk).update(contact=w.contact)


def _invoices(w: World) -> None:
    billing.invoice_issue(actor=w.admin, invoice=billing.invoice_create(
        actor=w.admin, account=w.account, contact=w.contact,
        lines=[free_line("Aceite", "1", "10.00")]))
    billing.invoice_create(actor=w.admin, account=w.account, contact=w.contact,
                           lines=[free_line(f"Regalo para {NAME}", "1", "5.00")],
                           notes=MENTION)


def _returns(w: World) -> None:
    """Covered by the order's section (documents_of)."""


def _contracts(w: World) -> None:
    ContractFactory(actor=w.admin, account=w.account, notes=MENTION)


def _interactions(w: World) -> None:
    interactions.interaction_log(actor=w.admin, data={
        "channel": "phone", "direction": "inbound", "contact": w.contact,
        "account": w.account, "subject": f"Llamada de {NAME}", "notes": MENTION})
    thread = Thread.all_objects.create(organization=w.admin.organization, subject=NAME,
                                       contact=w.contact)
    item = Interaction.all_objects.create(
        organization=w.admin.organization, channel="email", direction="inbound",
        contact=w.contact, subject=f"Re: {NAME}", notes=MENTION, thread=thread)
    EmailMessage.all_objects.create(
        organization=w.admin.organization, interaction=item, thread=thread,
        message_id=f"<{uuid.uuid4().hex}@privado.example>", from_address=EMAIL,
        from_name=NAME, to=["ventas@empresa.example"], subject=f"Re: {NAME}",
        body_text=MENTION, status="received")


OTHER_EMAIL = "luis.pardo@correo.test"


def _tasks(w: World) -> None:
    TaskFactory(actor=w.admin, contact=w.contact, title=f"Llamar a {NAME}", notes=MENTION)


def _web_forms(w: World) -> None:
    form = WebFormFactory(actor=w.admin)
    WebFormSubmission.all_objects.create(organization=w.admin.organization, form=form,
                                         client_hash="x" * 64,
                                         data={"name": NAME, "email": EMAIL, "phone": PHONE})
    # someone else's submission that names them: not theirs to download, scrubbed at erasure
    WebFormSubmission.all_objects.create(organization=w.admin.organization, form=form,
                                         client_hash="y" * 64,
                                         data={"name": "Luis Pardo", "email": OTHER_EMAIL,
                                               "message": f"Me recomendó {NAME}"})


def _tickets(w: World) -> None:
    ticket = desk.ticket_create(actor=w.admin, data={
        "subject": f"Queja de {NAME}", "description": MENTION, "contact": w.contact,
        "account": w.account, "requester_email": EMAIL})
    desk.ticket_note(actor=w.admin, ticket=ticket, body=MENTION)


def _segments(w: World) -> None:
    segment_of(w.admin, [w.contact], name="Clientes fieles")


def _campaigns(w: World) -> None:
    campaign = CampaignFactory(actor=w.admin)
    CampaignRecipient.objects.create(organization=w.admin.organization, campaign=campaign,
                                     contact=w.contact, account=w.account,
                                     token=uuid.uuid4().hex, email=EMAIL)
    Suppression.all_objects.create(organization=w.admin.organization, email=EMAIL,
                                   reason="bounce", detail=MENTION)
    Suggestion.all_objects.create(organization=w.admin.organization, account=w.account,
                                  contact=w.contact, rule="winback", action="call",
                                  facts={"contact": NAME}, as_of=dt.date.today())


def _loyalty(w: World) -> None:
    club = program(w.admin, name="Club")
    joined = member(w.admin, club, w.account)
    LedgerEntry.all_objects.create(organization=w.admin.organization, member=joined,
                                   kind="adjust", points=10, occurred_on=dt.date.today(),
                                   note=f"Regalo a {NAME}")


def _files(w: World) -> None:
    attach(w.admin, w.contact, name=f"DNI {NAME}.pdf")
    comment(w.admin, w.contact, body=MENTION)


def _webhooks(w: World) -> None:
    hook = WebhookSubscription.all_objects.create(
        organization=w.admin.organization, name="ERP", url="https://erp.example/hook",
        events=["contact.created"], secret="x")
    WebhookDelivery.all_objects.create(
        organization=w.admin.organization, subscription=hook, event_id=uuid.uuid4(),
        event="contact.created", body=json.dumps({"name": NAME, "email": EMAIL}))


def _automation(w: World) -> None:
    fired = rule(w.admin)
    Firing.all_objects.create(organization=w.admin.organization, rule=fired,
                              trigger="order_due", record_type="customers.contact",
                              record_label=NAME, status="done", results=[MENTION])


def _portal(w: World) -> None:
    """The world's contact is a portal user (invited, so an e-mail went to them)."""


def _emails_sent(w: World) -> None:
    """The portal invitation of the world."""


def _history(w: World) -> None:
    """The contact's own audit entries (made by the world's services)."""


#: How each declared section gets data of the contact; a new declaration needs its sample.
SAMPLES: dict[str, Callable[[World], None]] = {
    "contact": _contact, "consents": _consents, "leads": _leads,
    "opportunities": _opportunities, "quotes": _quotes, "orders": _quotes,
    "invoices": _invoices, "returns": _returns, "contracts": _contracts,
    "interactions": _interactions, "tasks": _tasks, "web_forms": _web_forms,
    "tickets": _tickets, "segments": _segments, "campaigns": _campaigns,
    "loyalty": _loyalty, "files": _files, "webhooks": _webhooks, "automation": _automation,
    "portal": _portal, "emails_sent": _emails_sent, "history": _history,
}
#: Sections that may stay empty with the samples above (returns need a delivered order line).
MAY_BE_EMPTY = {"returns"}


def test_every_declaration_has_a_sample_and_every_app_holding_contacts_declares():
    keys = [d.key for d in privacy.declarations()]
    assert len(keys) == len(set(keys)), "two apps declare the same section"
    assert set(keys) == set(SAMPLES), "a declared section has no sample here (or the reverse)"
    declaring = {config.label for config, contract in plugins.contracts()
                 if contract.personal_data}
    for model in apps.get_models():
        if not model.__module__.startswith("vinculo."):
            continue
        if any(f.is_relation and f.concrete and f.related_model is Contact
               for f in model._meta.get_fields()):
            assert model._meta.app_label in declaring, (
                f"{model._meta.label} points at a contact; its app declares no personal_data")


def _world(admin) -> World:
    with as_user(admin):
        account = AccountFactory(actor=admin, name="Aceites Ruiz SA")
    person = portal_user(admin, account, first_name=FIRST, email=EMAIL)
    with organization_scope(admin.organization_id):
        contact = Contact.objects.get(pk=person.contact_id)
    with as_user(admin):
        customers.contact_update(actor=admin, contact=contact, data={
            "last_name": LAST, "phone": PHONE, "title": "Compras"}, expected_version=None)
    with organization_scope(admin.organization_id):
        contact = Contact.objects.get(pk=person.contact_id)
    return World(admin=admin, contact=contact, account=account, portal=person)


def _text_columns(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)]


def _leftovers(organization_id: int) -> list[str]:
    """Every (model, column) of the organisation's rows still holding the name, e-mail or
    phone (a search over the text columns of every table with an organisation)."""
    needles = [NAME.lower(), EMAIL.lower(), PHONE, PHONE.lstrip("+")]
    found = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        columns = _text_columns(model)
        if "organization" not in names or not columns:
            continue
        for values in model._base_manager.filter(organization_id=organization_id) \
                .values_list(*columns):
            for column, value in zip(columns, values, strict=True):
                text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) \
                    else value
                if any(n in (text or "").lower() for n in needles):
                    found.append(f"{model._meta.label}.{column}: {text[:80]}")
    return found


@pytest.fixture
def world(admin, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    w = _world(admin)
    with as_user(admin):
        for sample in dict.fromkeys(SAMPLES.values()):
            sample(w)
    return w


@pytest.mark.django_db(transaction=False)
def test_every_section_is_exported_then_erased_from_every_table(world):
    org = world.admin.organization_id
    with organization_scope(org):
        data = customers.personal_data_export(contact=world.contact)
    assert set(data) == set(SAMPLES)
    for key, section in data.items():
        if key in MAY_BE_EMPTY:
            continue
        filled = any(section.values()) if isinstance(section, dict) else bool(section)
        assert filled, f"section {key} is empty"
    dumped = json.dumps(data, ensure_ascii=False)
    for needle in (NAME, EMAIL, PHONE, "Clientes fieles", "Club", "DNI"):
        assert needle in dumped
    assert OTHER_EMAIL not in dumped, "another person's submission was exported"
    assert _leftovers(org), "the samples wrote nothing to find"
    with as_user(world.admin):
        request = customers.erasure_request(contact=world.contact, source="portal")
        done = customers.erasure_decide(actor=world.admin, request=request, approve=True)
    assert done.status == ErasureStatus.ANONYMISED
    assert _leftovers(org) == []
    with organization_scope(org):
        # what the law keeps stays: the issued invoice, its number and amount
        issued = Invoice.objects.filter(contact=world.contact).exclude(status="draft").get()
        assert issued.number and issued.total_amount > 0
        assert ErasureRequest.objects.get(pk=done.pk).decided_by_id == world.admin.pk
        history = AuditEntry.objects.filter(object_type="customers.contact",
                                            object_id=world.contact.pk)
        assert history.exists()  # the entries stay (who, when), without the values
        after = customers.personal_data_export(contact=Contact.all_objects.get(
            pk=world.contact.pk))
    assert NAME not in json.dumps(after, ensure_ascii=False)


def _broken(subject: privacy.Subject) -> None:
    raise RuntimeError("disk full")


@pytest.mark.django_db
def test_a_failing_eraser_leaves_nothing_half_written(world, monkeypatch):
    org = world.admin.organization_id
    before = _leftovers(org)
    declared = privacy.declarations()
    monkeypatch.setattr(privacy, "declarations", lambda: [
        *declared, PersonalData("broken", "Broken", "x", f"{__name__}._broken", order=2000)])
    with as_user(world.admin):
        request = customers.erasure_request(contact=world.contact)
        with pytest.raises(RuntimeError):
            customers.erasure_decide(actor=world.admin, request=request, approve=True)
    assert sorted(_leftovers(org)) == sorted(before)
    with organization_scope(org):
        assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.REQUESTED
        assert Contact.objects.get(pk=world.contact.pk).email == EMAIL
        kept = RecordFile.objects.get(record_id=world.contact.pk,
                                      record_type=ContentType.objects.get_for_model(Contact))
    assert default_storage.exists(kept.file.name)  # no file went before the commit


# ---- stored files: import files and raw messages ------------------------------------------------

OTHER_ROW = "Luis;Muñoz;luis.pardo@correo.test;+34 622 000 111;Cliente desde 2019\r\n"
MENTION_ROW = f"Ana;Ruiz;ana@correo.test;;Amiga de {NAME}\r\n"
IMPORT_CSV = (f"Nombre;Apellidos;Email;Teléfono;Notas\r\n{FIRST};{LAST};{EMAIL};"
              f"{PHONE.removeprefix('+34')};Llamar por la tarde\r\n{OTHER_ROW}{MENTION_ROW}")
IMPORT_ROWS = [["Nombre", "Email", "Móvil", "Notas"],
               [NAME, EMAIL, int(PHONE.removeprefix("+34")), "Llamar por la tarde"],
               ["Luis Muñoz", OTHER_EMAIL, 622000111, "Cliente desde 2019"],
               ["Ana Ruiz", "ana@correo.test", None, f"Amiga de {NAME}"]]
#: What must not be left in a stored file: the name, the e-mail, the phone as typed there.
GONE = (NAME.lower(), LAST.lower(), EMAIL.lower(), PHONE.removeprefix("+34"))


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(admin, name: str, data: bytes, *, preview: bool = False):
    with as_user(admin):
        job = importing.import_job_create(actor=admin, target="contact", dry_run=True,
                                          file=SimpleUploadedFile(name, data))
        return importing.import_job_start(actor=admin, job=job, dry_run=True) if preview \
            else job


def _stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _readable(data: bytes) -> str:
    """Every byte of a stored file as text (an XLSX's compressed parts unpacked)."""
    if data[:4] == b"PK\x03\x04":
        archive = zipfile.ZipFile(io.BytesIO(data))
        data = b"".join(archive.read(member) for member in archive.namelist())
    return data.decode("cp1252", "replace").lower()


def _erase(w: World, capture) -> ErasureRequest:
    """Approve an erasure of the world's contact and run what waits for the commit."""
    with as_user(w.admin), capture(execute=True):
        request = customers.erasure_request(contact=w.contact)
        return customers.erasure_decide(actor=w.admin, request=request, approve=True)


@pytest.fixture
def person(admin, settings, tmp_path) -> World:
    """The contact alone, without the samples of every section."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return _world(admin)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_import_file_loses_the_persons_row_and_keeps_the_others(
        person, kind, django_capture_on_commit_callbacks):
    data = IMPORT_CSV.encode("cp1252") if kind == "csv" else _xlsx(IMPORT_ROWS)
    job = _import(person.admin, f"clientes.{kind}", data, preview=True)
    assert job.duplicates[0]["line"] == 2  # their row duplicates their contact
    before = job.file.name
    assert all(needle in _readable(_stored(before)) for needle in GONE)
    assert _erase(person, django_capture_on_commit_callbacks).status == ErasureStatus.ANONYMISED
    job.refresh_from_db()
    assert job.file.name != before and not default_storage.exists(before)
    after = _stored(job.file.name)
    assert not [needle for needle in GONE if needle in _readable(after)]
    if kind == "csv":  # same encoding, delimiter, line endings; the other rows byte for byte
        assert after == (f"Nombre;Apellidos;Email;Teléfono;Notas\r\n***;***;***;***;***\r\n"
                         f"{OTHER_ROW}Ana;Ruiz;ana@correo.test;;Amiga de ***\r\n"
                         ).encode("cp1252")
    else:
        sheet = load_workbook(io.BytesIO(after)).active
        assert [[c.value for c in row] for row in sheet.iter_rows()] == [
            IMPORT_ROWS[0], ["***"] * 4, IMPORT_ROWS[2], [*IMPORT_ROWS[3][:3], "Amiga de ***"]]
    # the report still points at the same line, now blank of them
    assert job.duplicates[0]["line"] == 2 and NAME not in json.dumps(job.duplicates)
    assert importing.table_preview(job)[1][0][0] == "***"


def _card(*lines: str) -> str:
    return "".join(f"{line}\r\n" for line in ("BEGIN:VCARD", "VERSION:3.0", *lines, "END:VCARD"))


@pytest.mark.django_db
def test_a_vcard_import_file_loses_the_persons_card_and_keeps_the_others(
        person, django_capture_on_commit_callbacks):
    other = _card("N:Muñoz;Luis;;;", "FN:Luis Muñoz", f"EMAIL:{OTHER_EMAIL}")
    data = (_card(f"N:{LAST};{FIRST};;;", f"FN:{NAME}", f"EMAIL;TYPE=INTERNET:{EMAIL}",
                  f"TEL;TYPE=CELL:{PHONE}") + other
            + _card("FN:Ana Ruiz", f"NOTE:Amiga de {NAME}")).encode()
    job = _import(person.admin, "agenda.vcf", data, preview=True)
    assert job.duplicates[0]["line"] == 1  # card 1 duplicates their contact
    _erase(person, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert _stored(job.file.name) == (
        _card("N:***", "FN:***", "EMAIL;TYPE=INTERNET:***", "TEL;TYPE=CELL:***") + other
        + _card("FN:Ana Ruiz", "NOTE:Amiga de ***")).encode()


@pytest.mark.django_db
def test_a_damaged_import_file_is_reported_and_the_erasure_still_completes(
        person, caplog, django_capture_on_commit_callbacks):
    readable = _import(person.admin, "clientes.csv", IMPORT_CSV.encode("cp1252"))
    damaged = _import(person.admin, "viejo.xlsx", _xlsx(IMPORT_ROWS))
    default_storage.delete(damaged.file.name)  # the disk spoilt it since
    assert default_storage.save(damaged.file.name, ContentFile(b"PK\x03\x04 spoilt")
                                ) == damaged.file.name
    done = _erase(person, django_capture_on_commit_callbacks)
    assert done.status == ErasureStatus.ANONYMISED
    with organization_scope(person.admin.organization_id):
        assert Contact.objects.get(pk=person.contact.pk).email == ""
    readable.refresh_from_db()
    assert EMAIL not in _readable(_stored(readable.file.name))  # the other file was reached
    damaged.refresh_from_db()
    assert _stored(damaged.file.name) == b"PK\x03\x04 spoilt"  # left as it was, and said:
    assert [e["line"] for e in damaged.errors] == [None]
    assert "could not be read when a person's data was erased" in damaged.errors[0]["message"]
    assert f"import {damaged.uuid} (file {damaged.file.name}) not reached" in caplog.text
    assert EMAIL not in caplog.text


@pytest.mark.django_db
def test_a_failing_erasure_keeps_the_import_file_and_leaves_no_copy(person, monkeypatch):
    job = _import(person.admin, "clientes.csv", IMPORT_CSV.encode("cp1252"))
    declared = privacy.declarations()
    monkeypatch.setattr(privacy, "declarations", lambda: [
        *declared, PersonalData("broken", "Broken", "x", f"{__name__}._broken", order=2000)])
    with as_user(person.admin), pytest.raises(RuntimeError):
        customers.erasure_decide(actor=person.admin, approve=True,
                                 request=customers.erasure_request(contact=person.contact))
    job.refresh_from_db()
    assert _stored(job.file.name) == IMPORT_CSV.encode("cp1252")
    folder = job.file.name.rsplit("/", 1)[0]
    assert default_storage.listdir(folder)[1] == [job.file.name.rsplit("/", 1)[1]]


def _mail(sender: str, body: str, *, size: int = 0, mime: bool = False) -> bytes:
    """A message; ``size`` pads its body past the inbound limit (so it is rejected);
    ``mime`` writes the body in base64, as many mailers do."""
    message = Mime()
    if sender:
        message["From"] = sender
    message["To"] = "ventas@empresa.example"
    message["Subject"] = "Consulta"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@correo.test>"
    message.set_content(body + "\n" + "relleno\n" * (size // 8), cte="base64" if mime else "8bit")
    return bytes(message)


@pytest.mark.django_db
def test_raw_messages_from_the_person_go_and_the_others_stay_without_them(
        person, settings, django_capture_on_commit_callbacks):
    settings.MAIL_MAX_MESSAGE_BYTES = 2000
    org = person.admin.organization

    def receive(raw: bytes) -> Any:
        received = mailing.email_receive(organization=org, raw=raw)
        return received.rejected or received.message

    theirs = receive(_mail(f"{NAME} <{EMAIL}>", "Mi pedido", size=3000))
    other = receive(_mail(f"Luis <{OTHER_EMAIL}>", "Otro pedido", size=3000))
    naming = receive(_mail(f"Luis <{OTHER_EMAIL}>", f"Como dijo {NAME}, llamad", size=3000))
    hidden = receive(_mail("", f"Escribe {NAME}", mime=True))  # no sender: rejected too
    accepted = receive(_mail(f"Luis <{OTHER_EMAIL}>", f"Os recomendó {NAME} ({PHONE})"))
    assert [type(m).__name__ for m in (theirs, other, naming, hidden, accepted)] == [
        "RejectedMessage"] * 4 + ["EmailMessage"]
    paths = {m: m.raw_path for m in (theirs, other, naming, hidden, accepted)}
    kept = {m: _stored(path) for m, path in paths.items()}
    assert EMAIL.encode() in kept[theirs] and NAME.encode() not in kept[hidden]
    _erase(person, django_capture_on_commit_callbacks)
    for message in paths:
        message.refresh_from_db()
    # theirs, and the one whose encoded body names them: gone from storage, rows kept
    for message in (theirs, hidden):
        assert message.raw_path == "" and not default_storage.exists(paths[message])
        assert message.size > 0
    assert other.raw_path == paths[other] and _stored(other.raw_path) == kept[other]
    for message in (naming, accepted):  # someone else's, rewritten without them
        assert message.raw_path != paths[message] and not default_storage.exists(paths[message])
        after = _stored(message.raw_path)
        assert NAME.encode() not in after and PHONE.encode() not in after
        assert after == kept[message].replace(NAME.encode(), b"***").replace(
            PHONE.encode(), b"***")
