"""Mailboxes: their settings, the inbound token, the connection test and the IMAP poll.

The poller advances past a message only once it is stored one way or the other (an e-mail or
a ``RejectedMessage``), so nothing is lost and nothing is imported twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.core import crypto
from vinculo.core.models import Organization, User
from vinculo.core.services import refuse_unknown, require, versioned_save
from vinculo.interactions.mailing.inbound import _receive, _reject
from vinculo.interactions.models import (
    Mailbox,
)

log = logging.getLogger(__name__)


# ---- mailboxes ------------------------------------------------------------------------------

MAILBOX_FIELDS = ("name", "address", "imap_host", "imap_port", "imap_ssl", "imap_username",
                  "imap_folder", "processed_folder", "active")


def mailbox_create(*, actor: User, data: dict[str, Any],
                   password: str | None = None) -> Mailbox:
    """A new mailbox; a given ``password`` is stored encrypted."""
    return _mailbox_save(actor=actor, data=data, password=password)


def mailbox_update(*, actor: User, mailbox: Mailbox, data: dict[str, Any],
                   expected_version: int | None, password: str | None = None) -> Mailbox:
    """Change a mailbox; a given ``password`` is stored encrypted (None keeps it).

    Refused (``ConflictError``) when the row is no longer at ``expected_version``.
    """
    return _mailbox_save(actor=actor, data=data, mailbox=mailbox, password=password,
                         expected_version=expected_version)


@transaction.atomic
def _mailbox_save(*, actor: User, data: dict[str, Any], mailbox: Mailbox | None = None,
                  password: str | None = None,
                  expected_version: int | None = None) -> Mailbox:
    require(actor, "interactions.manage")
    refuse_unknown(data, MAILBOX_FIELDS)
    mailbox = mailbox or Mailbox(organization_id=actor.organization_id)
    moved = any(key in data and data[key] != getattr(mailbox, key)
                for key in ("imap_host", "imap_username", "imap_folder"))
    for key, value in data.items():
        setattr(mailbox, key, value.lower() if key == "address" else value)
    if password is not None:
        mailbox.imap_password = crypto.encrypt(password)
    if moved and mailbox.pk:  # another mailbox: read it from its start
        mailbox.uidvalidity, mailbox.last_uid = 0, 0
    mailbox.full_clean(exclude=["organization"], validate_unique=False)
    clash = Mailbox.all_objects.filter(organization_id=mailbox.organization_id,
                                       address=mailbox.address).exclude(pk=mailbox.pk)
    if clash.exists():
        raise ValidationError({"address": _("Another mailbox has this address.")})
    if mailbox.imap_host and not mailbox.imap_username:
        raise ValidationError({"imap_username": _("Give the IMAP user.")})
    if mailbox.pk is None:
        mailbox.save()
        return mailbox
    fields = list(data)
    if password is not None:
        fields.append("imap_password")
    if moved:
        fields += ["uidvalidity", "last_uid"]
    return versioned_save(mailbox, expected_version=expected_version, fields=fields)


@transaction.atomic
def mailbox_token_rotate(*, actor: User, mailbox: Mailbox) -> str:
    """A new secret for the HTTP inbound endpoint of ``mailbox``; shown once."""
    require(actor, "interactions.manage")
    token = Mailbox.generate_token()
    mailbox.inbound_token_hash = Mailbox.hash_token(token)
    # a save, not a queryset update: the rotation is audited (the hash itself is not logged)
    mailbox.save(update_fields=["inbound_token_hash", "updated_at"])
    return token


#: What a failed connection test means, by ``ImapError.code``.
IMAP_PROBLEMS = {
    "unreachable": gettext_lazy("The server could not be reached: check the server name and "
                                "port, and that it accepts connections from here."),
    "tls": gettext_lazy("The secure connection failed: check the port and the TLS setting, "
                        "and that the server's certificate is valid for its name."),
    "auth": gettext_lazy("The server refused the user name or password."),
    "folder": gettext_lazy("The folder does not exist on the server."),
    "protocol": gettext_lazy("The server answered something unexpected."),
    "settings": gettext_lazy("Give the IMAP server and user, and save, before testing."),
    "secret": gettext_lazy("The stored password cannot be decrypted (the encryption keys "
                           "changed since it was saved). Enter it again."),
}
#: How long a connection test waits for the server, in seconds (the poller waits longer).
CHECK_TIMEOUT = 15


@dataclass
class ConnectionCheck:
    """What "Test connection" found: ``code`` says what failed (an ``ImapError`` code, or
    "settings" / "secret"), ``problem`` explains it to people, ``detail`` is the server's
    own words."""

    ok: bool
    code: str = ""
    problem: str = ""
    detail: str = ""


def mailbox_check(*, actor: User, mailbox: Mailbox) -> ConnectionCheck:
    """Connect, log in and open the folder with the mailbox's stored settings."""
    from dataclasses import replace

    from vinculo.interactions.mail.imap import ImapError, check_connection

    require(actor, "interactions.manage")

    def failed(code: str, detail: str = "") -> ConnectionCheck:
        return ConnectionCheck(False, code, str(IMAP_PROBLEMS[code]), detail)

    if not (mailbox.imap_host and mailbox.imap_username):
        return failed("settings")
    try:
        check_connection(replace(imap_settings(mailbox), timeout=CHECK_TIMEOUT))
    except ImapError as exc:
        return failed(exc.code if exc.code in IMAP_PROBLEMS else "protocol", str(exc))
    except crypto.SecretUnreadableError:
        return failed("secret")
    return ConnectionCheck(True)


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    handled: int = 0  # taken by an inbound filter (a campaign's bounce report)
    error: str = ""


def imap_settings(mailbox: Mailbox) -> Any:
    from vinculo.interactions.mail.imap import ImapSettings

    return ImapSettings(host=mailbox.imap_host, port=mailbox.imap_port,
                        use_ssl=mailbox.imap_ssl, username=mailbox.imap_username,
                        password=crypto.decrypt(mailbox.imap_password),
                        folder=mailbox.imap_folder or "INBOX")


def mailbox_poll(*, mailbox: Mailbox, batch: int = 100) -> PollResult:
    """Fetch and store the mailbox's new messages; errors end the poll, recorded, not raised.

    The position (``last_uid``) moves in the transaction that stores each message, and the
    message is flagged (or moved) on the server only after that commits.
    """
    from vinculo.interactions.mail.imap import ImapSource

    result = PollResult()
    organization = Organization.objects.get(pk=mailbox.organization_id)
    try:
        with ImapSource(imap_settings(mailbox)) as source:
            if source.uidvalidity != mailbox.uidvalidity:
                mailbox.uidvalidity, mailbox.last_uid = source.uidvalidity, 0
                Mailbox.all_objects.filter(pk=mailbox.pk).update(
                    uidvalidity=mailbox.uidvalidity, last_uid=0)
            uids = source.uids_after(mailbox.last_uid)
            for start in range(0, len(uids), batch):
                done = []
                for uid, raw in source.fetch(uids[start:start + batch]):
                    result.fetched += 1
                    outcome = _receive_one(organization, mailbox, uid, raw)
                    setattr(result, outcome, getattr(result, outcome) + 1)
                    done.append(uid)
                if done:
                    source.mark_processed(done, move_to=mailbox.processed_folder or None)
        error = ""
    except Exception as exc:  # connection, login, server: recorded on the mailbox
        log.warning("polling mailbox %s failed: %s", mailbox.address, exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
    result.error = error
    Mailbox.all_objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(),
                                                     last_error=error)
    return result


def _receive_one(organization: Organization, mailbox: Mailbox, uid: int, raw: bytes) -> str:
    """Store one fetched message and advance the position, in one transaction."""
    try:
        with transaction.atomic():  # on any error all of it rolls back, so no savepoint inside
            received = _receive(organization, raw, mailbox, "imap", uid, savepoint=False)
            Mailbox.all_objects.filter(pk=mailbox.pk).update(last_uid=uid)
    except Exception as exc:  # a fault of ours: keep the message raw, with the reason
        log.exception("storing uid %s of %s failed", uid, mailbox.address)
        with transaction.atomic():
            _reject(organization_id=organization.pk, mailbox=mailbox, raw=raw,
                    reason=_("Could not be stored: %(error)s") % {
                        "error": f"{type(exc).__name__}: {exc}"[:500]},
                    source="imap", uid=uid)
            Mailbox.all_objects.filter(pk=mailbox.pk).update(last_uid=uid)
        return "rejected"
    mailbox.last_uid = uid
    return {"stored": "stored", "duplicate": "duplicates", "rejected": "rejected",
            "handled": "handled"}[received.outcome]


def mailbox_for_token(token: str) -> Mailbox | None:
    """The mailbox whose HTTP inbound secret is ``token`` (compared by hash)."""
    if not token:
        return None
    return Mailbox.all_objects.filter(inbound_token_hash=Mailbox.hash_token(token),
                                      active=True).first()


def poll_all(*, address: str | None = None) -> list[tuple[Mailbox, PollResult]]:
    """Poll every active IMAP mailbox of every organisation (the periodic job)."""
    from vinculo.core.tenancy import organization_scope

    mailboxes = Mailbox.all_objects.filter(active=True).exclude(imap_host="").order_by("id")
    if address:
        mailboxes = mailboxes.filter(address=address.lower())
    results = []
    for mailbox in mailboxes:
        with organization_scope(mailbox.organization_id):
            results.append((mailbox, mailbox_poll(mailbox=mailbox)))
    return results
