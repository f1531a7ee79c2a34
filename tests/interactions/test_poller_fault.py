"""The poller's transaction around each message, kept lean for bench/inbound_poll.py.

``_receive_one`` stores a message without a savepoint of its own inside the poller's
transaction: a fault while storing must still roll back everything written for that message,
remove its files, keep it raw as rejected with the reason, advance the position and let the
poll go on with the next message.
"""

from __future__ import annotations

import pytest

from tests import imap
from vinculo.core.tenancy import organization_scope
from vinculo.interactions import mailing
from vinculo.interactions.mailing import inbound
from vinculo.interactions.models import EmailMessage, Interaction, Mailbox, RejectedMessage, Thread

dovecot, mail_user = imap.dovecot, imap.mail_user  # the harness's fixtures


def raw(number: int) -> bytes:
    return (f"From: cliente{number}@example.test\r\nTo: ventas@example.test\r\n"
            f"Subject: Pedido {number}\r\nMessage-ID: <p{number}@example.test>\r\n"
            f"Date: Fri, 13 Mar 2026 10:00:00 +0100\r\n\r\nHola ({number}).\r\n").encode()


@pytest.mark.django_db
def test_a_fault_while_storing_rolls_that_message_back_and_keeps_it_raw(
        admin, mail_user, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for number in (1, 2, 3):
        mail_user.deliver(raw(number))
    with organization_scope(admin.organization):
        box = mailing.mailbox_create(actor=admin, data={
            "name": "Ventas", "address": "ventas@example.test", "imap_host": imap.HOST,
            "imap_port": mail_user.server.imap_port, "imap_ssl": False,
            "imap_username": mail_user.address}, password=mail_user.password)
    announce = inbound.interaction_announce

    def fail_on_the_second(interaction):  # runs after every row of the message is written
        if interaction.subject == "Pedido 2":
            raise RuntimeError("disk full")
        announce(interaction)

    monkeypatch.setattr(inbound, "interaction_announce", fail_on_the_second)
    with organization_scope(admin.organization):
        result = mailing.mailbox_poll(mailbox=box)

    assert (result.fetched, result.stored, result.rejected, result.error) == (3, 2, 1, "")
    assert sorted(EmailMessage.all_objects.values_list("message_id", flat=True)) == [
        "<p1@example.test>", "<p3@example.test>"]
    assert sorted(Thread.all_objects.values_list("subject", flat=True)) == ["Pedido 1",
                                                                           "Pedido 3"]
    assert Interaction.all_objects.filter(subject="Pedido 2").count() == 0
    (kept,) = RejectedMessage.all_objects.all()
    assert (kept.uid, kept.reason) == (2, "Could not be stored: RuntimeError: disk full")
    assert (tmp_path / kept.raw_path).read_bytes().endswith(raw(2))
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.eml"))
    stored = sorted(EmailMessage.all_objects.values_list("raw_path", flat=True))
    assert files == sorted([*stored, kept.raw_path])  # nothing left of the failed attempt
    assert Mailbox.all_objects.get(pk=box.pk).last_uid == 3
    assert mailing.mailbox_poll(mailbox=Mailbox.all_objects.get(pk=box.pk)).fetched == 0
