"""The inbound e-mail poller against a real IMAP server: messages/s of ``mailbox_poll``.

    .venv/bin/python bench/inbound_poll.py [--messages 2000] [--customers 2000]
        [--only sqlite|postgresql]

For each database (a fresh SQLite file and a fresh PostgreSQL database
``vinculo_bench_inbound``, created and dropped here): ``vinculo migrate``, then in a child
process with ``DEBUG=0``: the demo (``core.demo.demo_run``) for the organisation, its users and
``--customers`` contacts; a private dovecot (``tests/imap.py``, Debian's dovecot on free local
ports, stopped at the end) with two users; two mailboxes set by ``mailing.mailbox_create`` to
point at them — "Ventas" (a plain mailbox, new) and the demo's "Soporte", the mailbox of the
demo's round-robin support queue with SLA policies on a business calendar, so a new
conversation there opens a ticket.

``--messages`` messages, half to each mailbox, are delivered over LMTP (one session per run
of the same envelope sender) before anything is timed. The mix, from a seeded generator:
plain text (Spanish and English, accents in subjects and names), multipart text + HTML, some
with attachments (PDF, PNG, XLSX of 20–300 KB), replies that quote and thread onto an earlier
message of the same mailbox by In-Reply-To/References, out-of-office auto-replies, a few with
broken encodings (unknown charset, raw 8-bit headers, no Message-ID: kept with defects), a few
sent to both mailboxes (Ventas is polled first: the copy in Soporte is a duplicate), and 1 %
without any sender address (delivered with the null envelope sender, so the Return-Path
fallback is empty too), which end as rejected. 80 % of the senders are contacts of the demo.

Timed: ``mailing.mailbox_poll(mailbox=…)`` for each mailbox, as the periodic job calls it:
fetch by UID after the last one, ``email_receive`` per message in its own transaction with
the position advanced (parse, match the contact, thread, open tickets on Soporte, store the raw
message and the attachments), flag each batch \\Seen. Tickets notify their assignee through
the **immediate** tasks backend to the **locmem** e-mail backend. Target: ≥ 50 messages/s.

Reference, same run, before the poll: the same messages fetched with the bare IMAP source
(``interactions.mail.imap.ImapSource``: log in, search the UIDs, fetch sizes, fetch the bodies
in batches) and nothing stored; best of two. The ratio is poll time / reference time.

Checks (the script exits non-zero when one fails): every delivered message was fetched; stored
+ duplicates + rejected = fetched; the rejected are exactly the messages without a sender;
every Message-ID delivered is stored once (none lost, none twice); one ticket per new
conversation on Soporte; replies sit in their parent's thread; a second poll fetches nothing
and the mailboxes' position is the last UID.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, say
from _desk import arguments, failures, report, run_on_databases

TARGET = 50.0
DOMAIN = "demo.vinculo.test"
SUBJECTS = ("Pedido pendiente de envío", "Consulta sobre la factura de marzo",
            "Presupuesto para 200 unidades", "Cambio de dirección de entrega",
            "No puedo acceder al portal", "Producto dañado en el transporte",
            "Solicitud de devolución", "Question about our contract renewal",
            "Invoice copy needed", "Delivery delayed again", "Reunión la semana próxima",
            "Tarifa 2026 y condiciones de pago", "Garantía del equipo averiado")
PHRASES = ("Buenos días, les escribo porque", "el pedido que hicimos la semana pasada",
           "todavía no ha llegado a nuestro almacén de Zaragoza.", "Necesitamos saber",
           "cuándo podrán enviarlo y si hay algún coste adicional.",
           "Adjunto la factura y el albarán para que lo comprueben.",
           "Hello, we noticed that the last invoice", "does not match the quote you sent us.",
           "Could you please check it and send a corrected copy?",
           "Quedo a la espera de su respuesta.", "Un saludo cordial,", "Kind regards,",
           "El técnico vino ayer pero el equipo sigue sin funcionar.",
           "Por favor, llámenme al 612 345 678 en horario de mañana.")
NAMES = ("Ana Pérez", "José Martínez", "Lucía Fernández", "Íñigo Zubizarreta", "Mary Smith",
         "Óscar Núñez", "Begoña Ruiz", "John O'Brien", "María José García")


@dataclass
class Planned:
    """One message to deliver and what should become of it."""

    mailbox: str  # "ventas" or "soporte"
    raw: bytes
    message_id: str  # "" when the message has none (a derived one is used)
    kind: str  # new, reply, auto, broken, rejected, duplicate
    parent: str = ""
    sender: str = f"postmaster@{DOMAIN}"
    extra: dict = field(default_factory=dict)


def _body(rng, words: int) -> str:  # type: ignore[no-untyped-def]
    picks = rng.choice(len(PHRASES), size=max(2, words // 8))
    return " ".join(PHRASES[i] for i in picks)


def _pdf(rng, size: int) -> bytes:  # type: ignore[no-untyped-def]
    return b"%PDF-1.7\n" + rng.bytes(size) + b"\n%%EOF\n"


def _png(rng, size: int) -> bytes:  # type: ignore[no-untyped-def]
    return b"\x89PNG\r\n\x1a\n" + rng.bytes(size)


def plan_messages(n: int, contacts: list[str], seed: int = 4) -> list[Planned]:
    """A realistic mix of ``n`` messages (see the module docstring), in delivery order."""
    import numpy as np

    rng = np.random.default_rng(seed)
    now = dt.datetime.now(dt.UTC)
    sent: dict[str, list[tuple[str, str, str]]] = {"ventas": [], "soporte": []}
    planned: list[Planned] = []
    for i in range(n):
        box = "ventas" if i % 2 == 0 else "soporte"
        to = f"{box}@{DOMAIN}"
        r = rng.random()
        if r < 0.01:  # no sender at all: rejected
            raw = (f"From: Cliente sin dirección\r\nTo: {to}\r\nSubject: Consulta {i}\r\n"
                   f"Message-ID: <nosender{i}@bench.invalid>\r\nDate: "
                   f"{format_datetime(now)}\r\n\r\nHola, ¿me pueden llamar?\r\n").encode()
            planned.append(Planned(box, raw, "", "rejected", sender=""))
            continue
        if r < 0.04:  # broken encodings and headers: kept, with defects
            variant = i % 3
            headers = (f"From: {contacts[i % len(contacts)]}\r\nTo: {to}\r\n"
                       f"Date: {format_datetime(now)}\r\n")
            message_id = f"<broken{i}@bench.invalid>"
            if variant == 0:
                raw = (headers + f"Subject: Pedido {i}\r\nMessage-ID: {message_id}\r\n"
                       "Content-Type: text/plain; charset=x-desconocido\r\n\r\n").encode() + \
                    "Envío mañana por la mañana, gracias.\r\n".encode("latin-1")
            elif variant == 1:
                raw = headers.encode() + b"Subject: Factura n\xba 12 pendiente de pago\r\n" + \
                    f"Message-ID: {message_id}\r\n\r\n".encode() + \
                    "Adjunto no encuentro la factura.\r\n".encode("cp1252")
            else:  # no Message-ID: the poller derives one from the bytes
                raw = (headers + f"Subject: Sin identificador {i}\r\n\r\n"
                       "Mensaje sin Message-ID.\r\n").encode()
                message_id = ""
            planned.append(Planned(box, raw, message_id, "broken",
                                   extra={"ticket": box == "soporte"}))
            continue
        known = rng.random() < 0.8
        address = contacts[int(rng.integers(len(contacts)))] if known else \
            f"cliente{int(rng.integers(100_000))}@gmail.com"
        name = NAMES[int(rng.integers(len(NAMES)))]
        message = EmailMessage()
        message["From"] = f"{name} <{address}>"
        message["To"] = to
        message["Date"] = format_datetime(now - dt.timedelta(minutes=n - i))
        message_id = make_msgid(idstring=str(i), domain="mail.bench.test")
        message["Message-ID"] = message_id
        kind = "new"
        parent = ""
        earlier = sent[box]
        if r < 0.07:
            kind = "auto"
            message["Subject"] = "Fuera de la oficina: " + SUBJECTS[i % len(SUBJECTS)]
            message["Auto-Submitted"] = "auto-replied"
            message.set_content("Estaré fuera hasta el lunes. Para urgencias llame a "
                                "centralita.\n")
        else:
            if r < 0.30 and earlier:  # a reply quoting an earlier message
                kind = "reply"
                parent, subject, quoted = earlier[int(rng.integers(len(earlier)))]
                message["Subject"] = "Re: " + subject
                message["In-Reply-To"] = parent
                message["References"] = parent
                text = _body(rng, 60) + "\n\n> " + quoted.replace("\n", "\n> ") + "\n"
            else:
                subject = SUBJECTS[int(rng.integers(len(SUBJECTS)))] + f" ({i})"
                message["Subject"] = subject
                text = _body(rng, int(rng.integers(40, 400))) + f"\n\n{name}\n"
            message.set_content(text)
            if rng.random() < 0.45:
                html = ("<html><body style=\"font-family:Arial\">"
                        + "".join(f"<p>{p}</p>" for p in text.split("\n") if p)
                        + "<p><img src=\"https://tracker.example/p.gif\" width=1></p>"
                        + "<table><tr><td><b>" + name + "</b></td></tr></table>"
                        + "</body></html>")
                message.add_alternative(html, subtype="html")
            if rng.random() < 0.10:
                kinds = int(rng.integers(3))
                size = int(rng.integers(20_000, 300_000))
                data, maintype, subtype, filename = (
                    (_pdf(rng, size), "application", "pdf", f"factura-{i}.pdf"),
                    (_png(rng, size // 3), "image", "png", f"foto del daño {i}.png"),
                    (rng.bytes(size // 2), "application",
                     "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"pedido_{i}.xlsx"))[kinds]
                message.add_attachment(data, maintype=maintype, subtype=subtype,
                                       filename=filename)
            if kind == "new":
                earlier.append((message_id, subject, text[:300]))
        raw = message.as_bytes()
        planned.append(Planned(box, raw, message_id, kind, parent=parent,
                               extra={"ticket": box == "soporte" and kind == "new"}))
        if kind == "new" and box == "ventas" and rng.random() < 0.015:
            # written to both mailboxes: Ventas is polled first, the copy is a duplicate
            planned.append(Planned("soporte", raw, message_id, "duplicate"))
    return planned


def deliver(users: dict, planned: list[Planned]) -> None:
    """Deliver in order; consecutive messages with the same box and sender share a session."""
    run: list[bytes] = []
    key = None
    for item in [*planned, None]:
        next_key = None if item is None else (item.mailbox, item.sender)
        if run and next_key != key:
            users[key[0]].deliver_many(run, sender=key[1])
            run = []
        if item is not None:
            run.append(item.raw)
            key = next_key


def inner(args: argparse.Namespace) -> dict:
    import django

    django.setup()
    sys.path.insert(0, str(ROOT))
    from django.core import mail
    from django.db import connection
    from django.db.models import Count
    from django.urls import reverse
    from tests.imap import dovecot_server

    from vinculo.core.audit import acting_as
    from vinculo.core.demo import demo_run
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers.models import Contact
    from vinculo.interactions import mailing
    from vinculo.interactions.mail.imap import ImapSource
    from vinculo.interactions.models import EmailMessage as Stored
    from vinculo.interactions.models import Mailbox, RejectedMessage
    from vinculo.service.models import Queue, Ticket

    demo = demo_run(customers=args.customers, progress=False)
    org, admin = demo.organization, demo.admin
    contacts = list(Contact.all_objects.filter(organization_id=org.pk).exclude(email="")
                    .order_by("id").values_list("email", flat=True)[:1500])
    planned = plan_messages(args.messages, contacts)
    with dovecot_server() as server:
        users = {"ventas": server.add_user(), "soporte": server.add_user()}
        with organization_scope(org), acting_as(admin):
            boxes = {}
            for key, name in (("ventas", "Ventas"), ("soporte", "Soporte")):
                user = users[key]
                existing = Mailbox.objects.filter(address=f"{key}@{DOMAIN}").first()
                data = {"name": name, "address": f"{key}@{DOMAIN}", "imap_host": "127.0.0.1",
                        "imap_port": server.imap_port, "imap_ssl": False,
                        "imap_username": user.address, "imap_folder": "INBOX"}
                boxes[key] = mailing.mailbox_update(
                    actor=admin, mailbox=existing, data=data, expected_version=None,
                    password=user.password) if existing else mailing.mailbox_create(
                    actor=admin, data=data, password=user.password)
            # The demo's desk: "Soporte" is a round-robin queue of the support team, on the
            # "Oficina Madrid" calendar with SLA policies, and its mailbox is soporte@.
            queue = Queue.objects.get(name="Soporte")
            assert queue.mailbox_id == boxes["soporte"].pk and queue.assignment == "round_robin"
            tickets_before = Ticket.all_objects.filter(organization_id=org.pk).count()
        say(f"delivering {len(planned):,} messages over LMTP")
        started = time.perf_counter()
        deliver(users, planned)
        deliver_s = time.perf_counter() - started
        delivered = {k: sum(1 for p in planned if p.mailbox == k) for k in users}

        def bare_fetch() -> tuple[float, int, int]:
            started = time.perf_counter()
            count = size = 0
            for key in users:
                with ImapSource(mailing.imap_settings(boxes[key])) as source:
                    for _uid, raw in source.fetch(source.uids_after(0)):
                        count += 1
                        size += len(raw)
            return time.perf_counter() - started, count, size

        bare_s, bare_count, bare_bytes = min(bare_fetch() for _ in range(2))
        reverse("service:ticket_list")  # the URL configuration loads once per process
        mail.outbox = []
        results, seconds, poll_cpu_s = {}, {}, 0.0
        for key in users:
            with organization_scope(org):
                started, cpu = time.perf_counter(), time.process_time()
                results[key] = mailing.mailbox_poll(mailbox=boxes[key])
                seconds[key] = time.perf_counter() - started
                poll_cpu_s += time.process_time() - cpu
        poll_s = sum(seconds.values())
        per_box = {key: results[key].fetched / seconds[key] for key in users}
        again = {}
        for key in users:
            with organization_scope(org):
                box = Mailbox.all_objects.get(pk=boxes[key].pk)
                again[key] = mailing.mailbox_poll(mailbox=box)
        with users["ventas"].client() as client:
            client.select_folder("INBOX")
            last_uid = {"ventas": max(client.search(["ALL"]))}
        with users["soporte"].client() as client:
            client.select_folder("INBOX")
            last_uid["soporte"] = max(client.search(["ALL"]))

    fetched = sum(r.fetched for r in results.values())
    stored = sum(r.stored for r in results.values())
    duplicates = sum(r.duplicates for r in results.values())
    rejected = sum(r.rejected for r in results.values())
    expected_ids = {p.message_id for p in planned if p.message_id and p.kind != "rejected"}
    without_id = sum(1 for p in planned if not p.message_id and p.kind != "rejected")
    ids = list(Stored.all_objects.filter(organization_id=org.pk, status="received")
               .values_list("message_id", flat=True))
    twice = Stored.all_objects.filter(organization_id=org.pk, status="received").values(
        "message_id").annotate(n=Count("id")).filter(n__gt=1).count()
    by_id = dict(Stored.all_objects.filter(organization_id=org.pk, status="received")
                 .values_list("message_id", "thread_id"))
    replies = [p for p in planned if p.kind == "reply"]
    threaded = sum(1 for p in replies if by_id.get(p.message_id) == by_id.get(p.parent))
    tickets = Ticket.all_objects.filter(organization_id=org.pk).count() - tickets_before
    new_on_support = sum(1 for p in planned if p.extra.get("ticket"))
    positions = {key: Mailbox.all_objects.get(pk=boxes[key].pk).last_uid for key in boxes}
    checks = {
        "every delivered message fetched": all(
            results[k].fetched == delivered[k] for k in delivered),
        "stored + duplicates + rejected = fetched": stored + duplicates + rejected == fetched,
        "rejected = messages without a sender": rejected == sum(
            1 for p in planned if p.kind == "rejected") == RejectedMessage.all_objects.filter(
            organization_id=org.pk).count(),
        "duplicates = copies sent to both": duplicates == sum(
            1 for p in planned if p.kind == "duplicate"),
        "every Message-ID stored (none lost)": expected_ids <= set(ids)
        and len(ids) == len(expected_ids) + without_id,
        "none stored twice": twice == 0,
        "one ticket per new conversation on Soporte": tickets == new_on_support,
        "replies in their parent's thread": threaded == len(replies),
        "second poll fetches nothing": all(r.fetched == 0 and not r.error
                                           for r in again.values()),
        "position = last UID": positions == last_uid,
        "no poll error": not any(r.error for r in results.values()),
    }
    return {
        "vendor": connection.vendor, "messages": len(planned), "fetched": fetched,
        "stored": stored, "duplicates": duplicates, "rejected": rejected, "tickets": tickets,
        "replies": len(replies), "mails": len(mail.outbox), "poll_s": poll_s, "per_box": per_box,
        "poll_cpu_s": poll_cpu_s, "bare_s": bare_s,
        "bare_count": bare_count, "bytes": bare_bytes, "deliver_s": deliver_s,
        "checks": checks, "errors": [r.error for r in results.values() if r.error],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=2000, help="demo contacts")
    args = arguments(parser, inner)
    if args is None:
        return 0
    results = run_on_databases(
        __file__, ["--messages", str(args.messages), "--customers", str(args.customers)],
        only=args.only, pg_name="vinculo_bench_inbound",
        doing=f"demo, dovecot, {args.messages:,} messages, poll")
    rows, counts, failed = [], [], []
    for r in results:
        failed += failures(r)
        rate = r["fetched"] / r["poll_s"]
        rows.append([r["vendor"], f"{r['fetched']:,}", f"{r['bytes'] / 2**20:.1f}",
                     f"{r['poll_s']:.1f}", f"{r['poll_cpu_s']:.1f}", f"{rate:.0f}",
                     f"{r['per_box']['ventas']:.0f} / {r['per_box']['soporte']:.0f}",
                     f"{r['bare_s']:.2f}", f"{r['poll_s'] / r['bare_s']:.0f}×",
                     "PASS" if rate >= TARGET else "FAIL"])
        counts.append([r["vendor"], f"{r['stored']:,}", r["duplicates"], r["rejected"],
                       r["tickets"], r["replies"], r["mails"],
                       "all ok" if all(r["checks"].values()) else "FAILED"])
    headers = ["database", "messages", "MiB", "poll s", "poll CPU s", "messages/s",
               "Ventas / Soporte msg/s", "bare IMAP fetch s", "ratio", f"≥ {TARGET:.0f} msg/s"]
    count_headers = ["database", "stored", "duplicates", "rejected", "tickets opened",
                     "threaded replies", "e-mails", "checks"]
    return report([(headers, rows), (count_headers, counts)], failed)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    sys.exit(main())
