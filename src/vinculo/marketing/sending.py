"""The e-mail channel: a campaign's messages sent in the background, in batches, exactly once.

``deliver(campaign)`` (``channels.DELIVERY["email"]``) enqueues the ``campaign_send`` task
once ``campaign_start`` commits. The task (:func:`campaign_send`):

1. **Takes the campaign's send lease** — one conditional ``UPDATE`` of the campaign row
   (``send_lease`` = this run, ``send_heartbeat`` = now) that succeeds only if nobody holds
   it or its holder has been silent for ``MARKETING_SEND_LEASE_SECONDS``. One sender per
   campaign at a time: the throttle is per campaign, and a second task for the same campaign
   (the resume job enqueued one too many) ends at once. The holder renews the heartbeat as it
   goes; losing it (the campaign finished, or another worker took over) stops it.
2. **Sends in batches** of ``MARKETING_SEND_BATCH`` recipients (the lowest ids still
   ``pending`` or ``sending``), over one SMTP connection per batch. The consent to e-mail
   and the suppression list are read again per batch, so a withdrawal after the start is
   respected (the recipient is *skipped* with the reason).
3. **Marks each message twice**: ``sending`` (committed) *before* it is handed to the SMTP
   server — an ``UPDATE … WHERE status IN (pending, sending) AND`` the lease is still ours —
   and ``sent`` once the server accepts it. The ``sent`` of one message and the ``sending``
   of the next are one ``UPDATE`` (a ``CASE`` on the id) in autocommit, committed before the
   next message goes out — one statement and one commit per message (on PostgreSQL a round
   trip and a WAL flush; a transaction around two ``UPDATE`` s cost four round trips); the last
   ``sent`` of a batch, and any ``sent`` before the sender sleeps (throttle) or renews its
   lease, is committed on its own. A refused address is ``failed`` with the server's answer;
   a lost connection puts the message back and the task is enqueued again after the retry
   delay.

Where "exactly once" holds: a worker killed (SIGKILL, a crash) anywhere but between the SMTP
server's "250 accepted" and the commit of ``sent`` for that one message (nothing runs in
between but that commit: the next message is composed after it) leaves every message
either ``sent`` (never sent again) or ``pending``/``sending`` *and not accepted* (sent by the
next holder). The periodic job ``campaign_send_resume`` (every minute) enqueues the task for
a campaign whose sender stopped renewing its lease, and the new holder sends what is left.
Inside that window — the few hundred microseconds of one local ``UPDATE`` per message —
the message is accepted but still ``sending``, so it is sent a second time, **with the same
Message-ID** (``identifiers.message_id`` of the recipient's token): mail stores and clients
that de-duplicate by Message-ID show it once. At most one message per killed worker can be in
that window. A sender stalled for longer than the lease in the middle of one message (a
frozen VM) can likewise duplicate that one message.

Each message carries ``List-Unsubscribe`` (the signed https one-click URL) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), a visible unsubscribe
link, the open pixel, and its links through the signed click redirect (``tracking``).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import quopri
import secrets
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vinculo.core.mailqueue import enqueue, retry_delay
from vinculo.core.models import Organization
from vinculo.customers.models import Channel as ConsentChannel
from vinculo.customers.models import Consent
from vinculo.interactions.mailing import default_mailbox
from vinculo.interactions.merge_fields import merge_template, merge_values
from vinculo.marketing import tracking
from vinculo.marketing.identifiers import message_id
from vinculo.marketing.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    RecipientStatus,
    Suppression,
)

log = logging.getLogger(__name__)

_OPEN = (RecipientStatus.PENDING, RecipientStatus.SENDING)


def deliver(campaign: Campaign) -> None:
    """The e-mail channel's ``deliver``: send in the background once the start commits."""
    from vinculo.marketing.tasks import campaign_send as task

    transaction.on_commit(lambda: enqueue(task, campaign.pk))


def lease_seconds() -> float:
    return float(settings.MARKETING_SEND_LEASE_SECONDS)


@dataclass
class Sender:
    """Who sends and how: the From and Reply-To, the Message-ID domain."""

    from_email: str
    reply_to: list[str]
    domain: str

    @functools.cached_property
    def address(self) -> str:
        """The envelope sender (parsed once: a sender asks for it per message)."""
        return parseaddr(self.from_email)[1]


def sender_for(campaign: Campaign) -> Sender:
    organization = Organization.objects.get(pk=campaign.organization_id)
    mailbox = default_mailbox(campaign.organization_id)
    address = mailbox.address if mailbox else parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return Sender(from_email=formataddr((organization.name, address), charset="utf-8"),
                  reply_to=[mailbox.address] if mailbox else [],
                  domain=address.rpartition("@")[2] or "localhost")


@dataclass
class Outgoing:
    """One rendered campaign e-mail: the envelope and the RFC 5322 bytes."""

    from_address: str
    to: str
    raw: bytes
    subject: str
    text: str
    html: str
    headers: dict[str, str]


@functools.lru_cache(maxsize=1)
def _date(second: int) -> str:
    return formatdate(second)


def _header(value: str) -> str:
    """A header value: as is when ASCII, else RFC 2047 encoded (folded with CRLF)."""
    if value.isascii():
        return value
    return Header(value, "utf-8").encode().replace("\n", "\r\n")


def _part(content_type: str, body: str) -> str:
    """A MIME part in 8bit UTF-8, or quoted-printable when a line is too long for SMTP."""
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    if max((len(line.encode()) for line in body.split("\r\n")), default=0) <= 900:
        return (f'Content-Type: {content_type}; charset="utf-8"\r\n'
                f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n")
    encoded = quopri.encodestring(body.encode()).decode("ascii").replace("\n", "\r\n")
    return (f'Content-Type: {content_type}; charset="utf-8"\r\n'
            f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{encoded}\r\n")


class Composer:
    """Renders one campaign's messages: the variants' templates are parsed once, the MIME
    structure is written directly (a multipart/alternative of a text and an HTML part), so
    composing costs little beside the merge itself."""

    def __init__(self, campaign: Campaign, sender: Sender) -> None:
        self.campaign = campaign
        self.sender = sender
        self.organization = Organization.objects.get(pk=campaign.organization_id)
        self.templates: dict[int | None, tuple[Callable[..., str], Callable[..., str]]] = {}
        for variant in CampaignVariant.all_objects.filter(campaign_id=campaign.pk):
            self.templates[variant.pk] = (merge_template(variant.subject),
                                          merge_template(variant.body))
        with translation.override(self.organization.language or settings.LANGUAGE_CODE):
            self.footer_text = _("To stop receiving these e-mails, open: %(url)s")
            self.footer_html = _("Unsubscribe")
        self.fixed = (f"From: {sender.from_email}\r\n"
                      + (f"Reply-To: {', '.join(sender.reply_to)}\r\n"
                         if sender.reply_to else "")
                      + "MIME-Version: 1.0\r\nPrecedence: bulk\r\n"
                      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")

    def compose(self, recipient: CampaignRecipient) -> Outgoing:
        subject_t, body_t = self.templates.get(recipient.variant_id) \
            or next(iter(self.templates.values()))
        values = merge_values({"contact": recipient.contact, "account": recipient.account,
                               "user": self.campaign.owner, "organization": self.organization})
        subject = " ".join(subject_t(values).split())
        body = body_t(values)
        links = tracking.Links(recipient.token)
        unsubscribe = links.unsubscribe()
        text = tracking.rewrite_text(body, links) + "\n\n-- \n" + self.footer_text % {
            "url": unsubscribe}
        html = ("<!DOCTYPE html><html><body>" + tracking.to_html(body, links)
                + f'<p><small><a href="{unsubscribe}">{self.footer_html}</a></small></p>\n'
                + f'<img src="{links.pixel()}" width="1" height="1" alt=""></body></html>')
        headers = {"Message-ID": message_id(recipient.token, self.sender.domain),
                   "List-Unsubscribe": f"<{unsubscribe}>"}
        boundary = "=_" + recipient.token
        raw = (self.fixed
               + f"To: {recipient.email}\r\nSubject: {_header(subject)}\r\n"
               f"Date: {_date(int(time.time()))}\r\nMessage-ID: {headers['Message-ID']}\r\n"
               f"List-Unsubscribe: {headers['List-Unsubscribe']}\r\n"
               f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
               f"--{boundary}\r\n{_part('text/plain', text)}"
               f"--{boundary}\r\n{_part('text/html', html)}--{boundary}--\r\n")
        return Outgoing(from_address=self.sender.address, to=recipient.email,
                        raw=raw.encode(), subject=subject, text=text, html=html,
                        headers=headers)


class Transport:
    """One SMTP connection for a batch, through Django's configured e-mail backend: the
    rendered bytes go straight to ``sendmail``. A backend without an SMTP connection (the
    console or in-memory one, while developing) gets an equivalent ``EmailMultiAlternatives``."""

    def __init__(self, sender: Sender) -> None:
        self.backend = get_connection()
        self.sender = sender

    def __enter__(self) -> Transport:
        self.backend.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.backend.close()

    def send(self, message: Outgoing) -> None:
        smtp = getattr(self.backend, "connection", None)
        if isinstance(smtp, smtplib.SMTP):
            smtp.sendmail(message.from_address, [message.to], message.raw)
            return
        email = EmailMultiAlternatives(subject=message.subject, body=message.text,
                                       from_email=self.sender.from_email, to=[message.to],
                                       reply_to=self.sender.reply_to,
                                       headers={**message.headers, "Precedence": "bulk",
                                                "List-Unsubscribe-Post":
                                                    "List-Unsubscribe=One-Click"})
        email.attach_alternative(message.html, "text/html")
        self.backend.send_messages([email])


class LeaseLost(Exception):
    """Another sender holds the campaign now, or it is no longer being sent."""


class Run:
    """One holder of a campaign's send lease."""

    def __init__(self, campaign_pk: int) -> None:
        self.campaign_pk = campaign_pk
        self.lease = secrets.token_hex(16)
        self.renewed = 0.0

    def acquire(self) -> bool:
        now = timezone.now()
        stale = now - dt.timedelta(seconds=lease_seconds())
        taken = Campaign.all_objects.filter(
            Q(send_lease="") | Q(send_heartbeat__isnull=True) | Q(send_heartbeat__lt=stale),
            pk=self.campaign_pk, status=CampaignStatus.SENDING,
        ).update(send_lease=self.lease, send_heartbeat=now)
        self.renewed = time.monotonic()
        return bool(taken)

    def renew_due(self) -> bool:
        return time.monotonic() - self.renewed >= lease_seconds() / 4

    def renew(self, force: bool = False) -> None:
        if not force and not self.renew_due():
            return
        if not Campaign.all_objects.filter(pk=self.campaign_pk, send_lease=self.lease,
                                           status=CampaignStatus.SENDING) \
                .update(send_heartbeat=timezone.now()):
            raise LeaseLost
        self.renewed = time.monotonic()

    def release(self) -> None:
        Campaign.all_objects.filter(pk=self.campaign_pk, send_lease=self.lease).update(
            send_lease="")

    def held(self) -> Q:
        return Q(Exists(Campaign.all_objects.filter(pk=self.campaign_pk,
                                                    send_lease=self.lease)))


def _batch(campaign_pk: int, size: int) -> list[CampaignRecipient]:
    """The ``size`` lowest open recipients. One query per open status, each a range of the
    (campaign, status, id) index read in order and cut at ``size``: with ``status IN (…)``
    both databases read (and joined) every open recipient to sort them, once per batch —
    quadratic in the campaign's size (100,000 messages sent at a third of the rate of
    3,000)."""
    found: list[CampaignRecipient] = []
    for status in _OPEN:
        found += CampaignRecipient.objects.filter(campaign_id=campaign_pk, status=status) \
            .select_related("contact", "account").order_by("id")[:size]
    return sorted(found, key=lambda recipient: recipient.pk)[:size]


def _still_reachable(campaign: Campaign, batch: list[CampaignRecipient]) -> dict[int, str]:
    """Recipients of ``batch`` not to write to any more, with why: consent withdrawn since
    the start, or the address suppressed since (a bounce, a complaint, an unsubscribe)."""
    consented = set(Consent.all_objects.filter(
        contact_id__in=[r.contact_id for r in batch], channel=ConsentChannel.EMAIL,
        granted=True).values_list("contact_id", flat=True))
    suppressed = set(Suppression.all_objects.filter(
        organization_id=campaign.organization_id,
        email__in=[r.email for r in batch]).values_list("email", flat=True))
    gone = {}
    for recipient in batch:
        if recipient.contact_id not in consented:
            gone[recipient.pk] = _("The consent to e-mail was withdrawn after the start.")
        elif recipient.email in suppressed:
            gone[recipient.pk] = _("The address was suppressed after the start.")
    return gone


class Throttle:
    """At most ``per_minute`` messages a minute (0: no limit), renewing the lease meanwhile."""

    def __init__(self, per_minute: int, run: Run) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.next_at = time.monotonic()
        self.run = run

    def wait(self) -> None:
        if not self.interval:
            return
        while (delay := self.next_at - time.monotonic()) > 0:
            time.sleep(min(delay, max(lease_seconds() / 4, 0.05)))
            self.run.renew()
        self.next_at = max(self.next_at, time.monotonic() - self.interval) + self.interval


def _mark(recipient: CampaignRecipient, run: Run, **values: Any) -> int:
    return CampaignRecipient.objects.filter(
        run.held(), pk=recipient.pk, status__in=_OPEN).update(**values)


def campaign_send(campaign_pk: int) -> str:
    """Send what is left of a campaign (the background task). Returns what happened."""
    run = Run(campaign_pk)
    if not run.acquire():
        return "busy"
    try:
        return _send_all(run)
    except LeaseLost:
        return "lease lost"
    finally:
        run.release()


def _send_all(run: Run) -> str:
    campaign = Campaign.all_objects.select_related("owner").get(pk=run.campaign_pk)
    composer = Composer(campaign, sender_for(campaign))
    throttle = Throttle(campaign.messages_per_minute, run)
    size = max(int(settings.MARKETING_SEND_BATCH), 1)
    sent = 0
    language = composer.organization.language or settings.LANGUAGE_CODE
    while batch := _batch(campaign.pk, size):
        run.renew(force=True)
        with translation.override(language):  # the reasons, in the organisation's language
            gone = _still_reachable(campaign, batch)
        if gone:
            for recipient in batch:
                if recipient.pk in gone:
                    _mark(recipient, run, status=RecipientStatus.SKIPPED,
                          skipped_reason=gone[recipient.pk][:200])
            batch = [r for r in batch if r.pk not in gone]
        try:
            sent += _send_batch(batch, composer, throttle, run)
        except (smtplib.SMTPException, OSError) as exc:
            # The server is down or dropped us: what was not accepted stays to send; try
            # again after the retry delay (1, 5, 15, 60 minutes by attempt).
            log.warning("campaign %s: sending stopped: %s", campaign.pk, exc)
            from vinculo.marketing.tasks import campaign_send as task

            run.release()
            enqueue(task, campaign.pk, run_after=timezone.now() + retry_delay(1))
            return "retry"
    from vinculo.marketing.services import campaign_mark_sent

    campaign_mark_sent(campaign=campaign)
    return f"sent {sent}"


def _send_batch(batch: list[CampaignRecipient], composer: Composer, throttle: Throttle,
                run: Run) -> int:
    if not batch:
        return 0
    sent = 0
    # the marks close first: the last ``sent`` is committed before the connection's QUIT
    with Transport(composer.sender) as transport, Marks(run) as marks:
        for recipient in batch:
            if throttle.interval or run.renew_due():
                marks.flush()  # nothing accepted stays unmarked while this one waits
            throttle.wait()
            run.renew()
            # the previous message's ``sent`` and this one's ``sending``: one statement
            if not marks.next(recipient.pk):
                if not Campaign.all_objects.filter(pk=run.campaign_pk,
                                                   send_lease=run.lease).exists():
                    raise LeaseLost
                continue  # finished or skipped meanwhile
            try:
                transport.send(composer.compose(recipient))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                if isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code < 500:
                    marks.set(recipient.pk, RecipientStatus.PENDING)
                    raise  # a temporary refusal: the whole run tries again later
                marks.set(recipient.pk, RecipientStatus.FAILED,
                          reason=f"{type(exc).__name__}: {exc}"[:200])
                continue
            except BaseException:
                marks.set(recipient.pk, RecipientStatus.PENDING)
                raise
            marks.accepted(recipient.pk)
            sent += 1
    return sent


class Marks:
    """The per-message status writes: short SQL ``UPDATE`` s that only succeed on a message
    still open while the lease is ours, each one statement in autocommit (a single round trip
    to the database, and one commit). An accepted message's ``sent`` waits for the next
    message's ``sending`` and both go in **one statement** (:meth:`next`: a ``CASE`` on the id,
    ``RETURNING`` the ids it changed), so they commit together as the two ``UPDATE`` s in a
    transaction did, without its ``BEGIN`` and ``COMMIT`` round trips (four per message on
    PostgreSQL, now one). Whatever is left is committed by :meth:`flush`, which leaving the
    ``with`` block calls too — on an exception as well, since the server did accept that
    message."""

    def __init__(self, run: Run) -> None:
        self.run = run
        recipients = connection.ops.quote_name(CampaignRecipient._meta.db_table)
        campaigns = connection.ops.quote_name(Campaign._meta.db_table)
        held = (f"status IN (%s, %s) AND EXISTS "
                f"(SELECT 1 FROM {campaigns} WHERE id = %s AND send_lease = %s)")
        self.held_params: list[Any] = [RecipientStatus.PENDING, RecipientStatus.SENDING,
                            run.campaign_pk, run.lease]
        self.sql = (f"UPDATE {recipients} SET status = %s, sent_at = COALESCE(%s, sent_at), "
                    f"skipped_reason = %s WHERE id = %s AND {held}")
        # RETURNING: SQLite ≥ 3.35 (Debian 12 has 3.40), every supported PostgreSQL
        self.pair_sql = (f"UPDATE {recipients} SET "
                         f"status = CASE WHEN id = %s THEN %s ELSE %s END, "
                         f"sent_at = CASE WHEN id = %s THEN %s ELSE sent_at END, "
                         f"skipped_reason = '' WHERE id IN (%s, %s) AND {held} RETURNING id")
        self.unmarked: tuple[int, dt.datetime] | None = None  # accepted, ``sent`` not written

    def __enter__(self) -> Marks:
        self.cursor = connection.cursor()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.flush()
        finally:
            self.cursor.close()

    def _execute(self, pk: int, status: str, sent_at: dt.datetime | None = None,
                 reason: str = "") -> int:
        self.cursor.execute(self.sql, [
            status, connection.ops.adapt_datetimefield_value(sent_at), reason, pk,
            *self.held_params])
        return self.cursor.rowcount

    def set(self, pk: int, status: str, *, reason: str = "") -> int:
        """Write one status now (committed at once: autocommit)."""
        return self._execute(pk, status, reason=reason)

    def accepted(self, pk: int) -> None:
        """The server accepted ``pk``: ``sent`` goes out with the next statement."""
        self.unmarked = (pk, timezone.now())

    def next(self, pk: int) -> bool:
        """``sending`` for ``pk``, in one statement with the pending ``sent`` if there is one.
        False when ``pk`` was not marked (finished or skipped meanwhile, or the lease lost)."""
        if self.unmarked is None:
            return bool(self._execute(pk, RecipientStatus.SENDING))
        done, sent_at = self.unmarked
        self.unmarked = None
        self.cursor.execute(self.pair_sql, [
            done, RecipientStatus.SENT, RecipientStatus.SENDING,
            done, connection.ops.adapt_datetimefield_value(sent_at),
            done, pk, *self.held_params])
        # read to the end: SQLite commits an autocommit statement once it has run through
        return any(row[0] == pk for row in self.cursor.fetchall())

    def flush(self) -> None:
        if self.unmarked is not None:
            pk, sent_at = self.unmarked
            self.unmarked = None
            self._execute(pk, RecipientStatus.SENT, sent_at)


def campaigns_to_resume() -> list[int]:
    """Campaigns being sent whose sender went silent (killed, crashed) with messages left."""
    stale = timezone.now() - dt.timedelta(seconds=lease_seconds())
    return list(Campaign.all_objects.filter(
        Q(send_heartbeat__lt=stale) | Q(send_heartbeat__isnull=True),
        status=CampaignStatus.SENDING,
    ).filter(Exists(CampaignRecipient.objects.filter(campaign_id=OuterRef("pk"),
                                                     status__in=_OPEN)))
        .values_list("pk", flat=True))


def campaign_send_resume() -> int:
    """Enqueue the sender again for every campaign :func:`campaigns_to_resume` names (the
    periodic job); an extra task finds the lease held or nothing left, and ends."""
    from vinculo.marketing.tasks import campaign_send as task

    found = campaigns_to_resume()
    for pk in found:
        enqueue(task, pk)
    return len(found)
