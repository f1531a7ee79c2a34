"""Sending a campaign: 100,000 personalised e-mails with tracking links and unsubscribe headers
to a real SMTP server, end to end through the campaign sender; and the tracking endpoints.

A fresh database (SQLite by default; ``--database postgresql`` for a throwaway PostgreSQL
one) gets N contacts with consent to e-mail in a static segment (bulk-loaded: data, not the
thing measured), and an e-mail campaign with two A/B variants whose bodies use merge fields
and two links. This process runs a real SMTP server (aiosmtpd, as in tests/smtp.py) that
counts what it accepts and checks the headers of a sample; a second process (Django) then

  start     ``campaign_start``: segment refresh, recipients (control group 10 %, variants),
            consent and suppressions, in bulk
  send      ``marketing.sending.campaign_send`` — the task body the worker runs: lease,
            batches over one SMTP connection each, consent re-read per batch, merge fields,
            tracking links, List-Unsubscribe headers, the two marks per message (one
            commit: a message's ``sent`` goes with the next one's ``sending``)
  reference the same messages rendered beforehand (same composer, untimed) and sent with bare
            ``smtplib`` over one connection per batch of the same size, no database

and prints messages/s of both and their ratio. Then ``vinculo serve`` (2 workers, its default
threads) answers the open pixel and the click redirect of sampled recipients (each request
the recipient's first open or click, so each one writes — the dearer case), measured two ways:

  fixed rate  open loop: requests arrive at a stated rate (Poisson arrivals, as independent
              mail clients and image proxies do) whether or not earlier ones were answered,
              each timed from the moment it was due (a late answer delays nobody's start, so
              queueing is counted, not hidden); p50/p95 per rate. The target is judged here.
  saturation  closed loop: ``--clients`` keep-alive clients each sending its next request as
              soon as the previous one is answered — the most the server answers, and the
              p95 of a queue that is full by construction (on a 2-core machine the clients
              compete with the server for the same cores).

    .venv/bin/python bench/marketing_send.py [--messages 100000] [--database sqlite|postgresql]
        [--rates 100,200] [--seconds 15] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, VINCULO, pg_available, pg_database, say, sqlite_database

TARGET_RATE = 300.0  # messages/s
TARGET_P95_MS = 20.0
CONTROL_SHARE = 10
TRACKING_SAMPLE = 15_000  # recipients whose links are hit (each request a first open/click)


# ---- the Django side (a subprocess) ---------------------------------------------------------


def django_side(messages: int, out: str) -> None:
    import django

    django.setup()
    import smtplib

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from vinculo.core.audit import acting_as
    from vinculo.core.models import Organization
    from vinculo.core.services import user_create
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers.models import Consent, Contact
    from vinculo.marketing import sending, services, tracking
    from vinculo.marketing.models import Campaign, CampaignRecipient
    from vinculo.segments.models import Segment, SegmentMember
    from vinculo.segments.services import segment_create

    org = Organization.objects.create(name="Bench Envíos", country="ES")
    admin = user_create(organization=org, email="admin@bench.test", password="x-Long-Pass-99",
                        role="admin")
    result: dict = {"messages": messages}
    with organization_scope(org), acting_as(admin):
        # the audience: bulk-loaded
        audience = int(messages / (1 - CONTROL_SHARE / 100)) + 1
        t = time.perf_counter()
        with transaction.atomic():
            Contact.all_objects.bulk_create(
                [Contact(organization=org, first_name=f"Nombre{n}", last_name=f"Apellido {n}",
                         full_name=f"Nombre{n} Apellido {n}", email=f"c{n}@dest.bench",
                         search_text=f"nombre{n} apellido {n}") for n in range(audience)],
                batch_size=5000)
            ids = list(Contact.all_objects.filter(organization=org).values_list("pk", flat=True))
            Consent.all_objects.bulk_create(
                [Consent(organization=org, contact_id=pk, channel="email", granted=True)
                 for pk in ids], batch_size=5000)
            segment = segment_create(actor=admin, name="Todos", kind="static")
            now = timezone.now()
            SegmentMember.all_objects.bulk_create(
                [SegmentMember(organization=org, segment=segment, contact_id=pk,
                               entered_at=now, source="manual") for pk in ids], batch_size=5000)
            Segment.all_objects.filter(pk=segment.pk).update(member_count=len(ids))
        result["load_s"] = time.perf_counter() - t
        campaign = services.campaign_create(actor=admin, data={
            "name": "Bench", "segment": segment, "control_share": CONTROL_SHARE})
        a = campaign.variants.get()
        body = ("Hola {{ contact.first_name }} {{ contact.last_name }}:\n\n"
                "{% if account.name %}Para {{ account.name }}: {% endif %}nuestras ofertas de "
                "otoño en https://tienda.example.es/otono?utm=bench y el catálogo en "
                "https://tienda.example.es/catalogo.\n\nUn saludo,\n{{ user.full_name }}")
        services.campaign_variant_update(actor=admin, variant=a, expected_version=a.version,
                                         data={"subject": "{{ contact.first_name }}, ofertas",
                                               "body": body, "share": 50})
        services.campaign_variant_create(actor=admin, campaign=campaign, data={
            "name": "B", "subject": "Ofertas para {{ contact.first_name }}",
            "body": body.replace("Hola", "Buenas"), "share": 50})

        t = time.perf_counter()
        with transaction.atomic():  # deliver's enqueue waits for the commit: not run here
            start = services.campaign_start(campaign=campaign, actor=admin)
        result["start_s"] = time.perf_counter() - t
        result["start"] = vars(start)
        to_send = CampaignRecipient.objects.filter(campaign=campaign, status="pending").count()
        result["to_send"] = to_send

        t = time.perf_counter()
        outcome = sending.campaign_send(campaign.pk)  # the worker's task body
        result["send_s"] = time.perf_counter() - t
        result["outcome"] = outcome
        result["status"] = Campaign.all_objects.get(pk=campaign.pk).status
        result["sent"] = CampaignRecipient.objects.filter(campaign=campaign,
                                                          status="sent").count()

        # reference: the same messages, rendered beforehand, sent with bare smtplib
        composer = sending.Composer(Campaign.all_objects.get(pk=campaign.pk),
                                    sending.sender_for(campaign))
        batch = int(settings.MARKETING_SEND_BATCH)
        rows = CampaignRecipient.objects.filter(campaign=campaign, status="sent") \
            .select_related("contact", "account").order_by("id")
        reference_s, sent_ref = 0.0, 0
        chunk: list = []

        def flush(chunk: list) -> float:
            started = time.perf_counter()
            for i in range(0, len(chunk), batch):
                with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT) as smtp:
                    for from_, to, data in chunk[i:i + batch]:
                        smtp.sendmail(from_, to, data)
            return time.perf_counter() - started

        for recipient in rows.iterator(chunk_size=2000):
            message = composer.compose(recipient)
            chunk.append((message.from_address, [message.to], message.raw))
            if len(chunk) == 10 * batch:
                reference_s += flush(chunk)
                sent_ref += len(chunk)
                chunk = []
        if chunk:
            reference_s += flush(chunk)
            sent_ref += len(chunk)
        result["reference_s"], result["reference_sent"] = reference_s, sent_ref

        tokens = list(rows.values_list("token", flat=True))
        sample = random.Random(7).sample(tokens, min(len(tokens), TRACKING_SAMPLE))
        result["pixels"] = [urlsplit(tracking.Links(t).pixel()).path for t in sample]
        url = "https://tienda.example.es/otono?utm=bench"
        result["clicks"] = [(lambda u: u.path + "?" + u.query)(urlsplit(
            tracking.Links(t).click(url))) for t in sample]
    Path(out).write_text(json.dumps(result))


# ---- this process: the SMTP server, the serve process, the report ---------------------------


class CountingInbox:
    def __init__(self) -> None:
        self.count = 0
        self.bad: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        if n % 997 == 1:  # a sample: the headers every campaign e-mail must carry
            head = envelope.content.split(b"\r\n\r\n", 1)[0]
            for needed in (b"List-Unsubscribe:", b"List-Unsubscribe-Post: List-Unsubscribe="
                           b"One-Click", b"Message-ID: <campaign."):
                if needed not in head:
                    self.bad.append(needed.decode())
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
               path: str) -> tuple[int, bool]:
    """One HTTP/1.1 GET on a kept-alive connection: (status, the server closes it)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("closed by the server")
    length, close = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
        elif name.strip().lower() == "connection" and value.strip().lower() == "close":
            close = True
    if length:
        await reader.readexactly(length)
    return int(status_line.split()[1]), close


async def _open_loop(port: int, paths: list[str], rate: float, seed: int) -> tuple[list[float],
                                                                                    float]:
    """Requests due at Poisson arrivals of ``rate`` a second, each sent when due on an idle
    kept-alive connection (a new one if none is idle: arrivals never wait for answers), and
    timed from when it was due. Returns the latencies (ms) and the rate achieved."""
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    times: list[float] = []

    async def one(path: str, due: float) -> None:
        conn = idle.pop() if idle else None
        for attempt in (1, 2):  # an idle connection the server timed out: once more, anew
            if conn is None:
                conn = await asyncio.open_connection("127.0.0.1", port)
            try:
                status, close = await _get(*conn, path)
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                conn[1].close()
                conn = None
                if attempt == 2:
                    raise
        times.append((loop.time() - due) * 1000)
        assert status in (200, 302), (path, status)
        if close:
            conn[1].close()
        else:
            idle.append(conn)

    started = due = loop.time() + 0.1
    tasks = []
    for path in paths:
        due += rng.expovariate(rate)
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(path, due)))
    await asyncio.gather(*tasks)
    for _reader, writer in idle:
        writer.close()
    return times, len(paths) / (due - started)


def _hit(port: int, paths: list[str], clients: int) -> list[float]:
    def run(mine: list[str]) -> list[float]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        times = []
        for path in mine:
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            times.append((time.perf_counter() - started) * 1000)
            assert response.status in (200, 302), (path, response.status)
        conn.close()
        return times

    parts = [paths[i::clients] for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return [t for part in pool.map(run, parts) for t in part]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=8,
                        help="closed-loop clients of the saturation run")
    parser.add_argument("--rates", default="100,200",
                        help="fixed arrival rates (requests/s) of the open-loop runs")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="length of each fixed-rate run")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    loads = {"start": os.getloadavg()[0]}
    if args.database == "postgresql" and not pg_available():
        raise SystemExit("PostgreSQL is not reachable")
    db = pg_database("vinculo_bench_send") if args.database == "postgresql" \
        else sqlite_database()
    from aiosmtpd.controller import Controller

    inbox = CountingInbox()
    smtp_port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = db.env | {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
                    "DJANGO_SETTINGS_MODULE": "vinculo.settings"}
    wall = time.perf_counter()
    serve = None
    try:
        say(f"{db.vendor}: migrating")
        subprocess.run([VINCULO, "migrate", "--no-input"], env=env, check=True,
                       capture_output=True)
        out = Path(db.data_dir or "/tmp") / "marketing_send.json"
        say(f"loading {args.messages:,} recipients, starting and sending")
        subprocess.run([PYTHON, __file__, "--django-side", str(args.messages), str(out)],
                       env=env, check=True)
        result = json.loads(out.read_text())
        received = inbox.count
        loads["after sending"] = os.getloadavg()[0]
        port = _free_port()
        say("tracking endpoints through vinculo serve")
        serve = subprocess.Popen([VINCULO, "serve", "--host", "127.0.0.1", "--port", str(port),
                                  "--workers", "2"], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/login/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        tracked: dict[str, list[tuple[str, float, list[float], float]]] = {}
        for name in ("pixel", "click"):
            paths = result[f"{name}s"]
            _hit(port, paths[-100:], args.clients)  # warm-up: both workers, every thread
            runs, used = [], 0
            for n, rate in enumerate(rates):
                count = int(rate * args.seconds)
                mine = [paths[(used + i) % (len(paths) - 100)] for i in range(count)]
                used += count
                times, achieved = asyncio.run(_open_loop(port, mine, rate, seed=n))
                runs.append((f"{rate:.0f}/s fixed", achieved, times, os.getloadavg()[0]))
            mine = [paths[(used + i) % (len(paths) - 100)] for i in range(2000)]
            started = time.perf_counter()
            times = _hit(port, mine, args.clients)
            runs.append((f"saturation, {args.clients} clients",
                         len(mine) / (time.perf_counter() - started), times,
                         os.getloadavg()[0]))
            tracked[name] = runs
        loads["end"] = os.getloadavg()[0]
    finally:
        if serve is not None and serve.poll() is None:
            os.killpg(serve.pid, signal.SIGTERM)
            serve.wait(timeout=30)
        controller.stop()
        db.drop()
    sent = result["sent"]
    rate = sent / result["send_s"]
    ref_rate = result["reference_sent"] / result["reference_s"]
    print()
    start = result["start"]
    print(f"database: {db.vendor}; segment members {start['recipients']:,}: control "
          f"{start['control']:,}, to send {result['to_send']:,}, skipped {start['skipped']:,}")
    print(f"bulk load {result['load_s']:.1f} s; campaign_start {result['start_s']:.1f} s")
    print(f"send      {sent:,} messages in {result['send_s']:.1f} s = {rate:,.0f} msg/s "
          f"(target ≥ {TARGET_RATE:.0f}) — {'OK' if rate >= TARGET_RATE else 'MISSED'}; "
          f"campaign {result['status']}")
    print(f"reference bare smtplib, same rendered messages: {ref_rate:,.0f} msg/s; "
          f"ratio sender/reference = {rate / ref_rate:.2f}")
    print(f"SMTP server accepted {received:,} (send + reference = "
          f"{sent + result['reference_sent']:,}); header sample problems: {inbox.bad or 'none'}")
    print(f"tracking through vinculo serve (2 workers), each request a first open/click; "
          f"target p95 ≤ {TARGET_P95_MS:.0f} ms at a fixed rate:")
    for name, runs in tracked.items():
        for label, achieved, times, load in runs:
            p95 = _pct(times, 95)
            verdict = ("" if label.startswith("saturation") else
                       f" — {'OK' if p95 <= TARGET_P95_MS else 'MISSED'}")
            print(f"  {name:<6} {label:<24} {len(times):>5} requests at {achieved:6.1f}/s: "
                  f"p50 {_pct(times, 50):6.1f} ms, p95 {p95:6.1f} ms, max {max(times):6.1f} ms"
                  f" (load {load:.1f}){verdict}")
    print("load average (1 min): " + ", ".join(f"{k} {v:.1f}" for k, v in loads.items()))
    print(f"wall time {time.perf_counter() - wall:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--django-side":
        django_side(int(sys.argv[2]), sys.argv[3])
    else:
        main()
