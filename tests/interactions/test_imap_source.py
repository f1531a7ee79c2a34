"""ImapSource against a real dovecot (tests/imap.py), messages delivered over LMTP."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator

import pytest

from tests import imap
from tests.imap import Dovecot, MailUser, dovecot_server
from vinculo.interactions.mail.imap import ImapError, ImapSource, check_connection
from vinculo.interactions.mail.parse import parse_message

dovecot, mail_user = imap.dovecot, imap.mail_user  # the harness's fixtures


def message(number: int, *, body: str = "Hola.", extra: str = "") -> bytes:
    return (
        f"From: cliente{number}@example.test\r\nTo: soporte@example.test\r\n"
        f"Subject: Consulta {number}\r\nMessage-ID: <m{number}@example.test>\r\n{extra}"
        f"Date: Fri, 13 Mar 2026 10:00:00 +0100\r\n\r\n{body} ({number})\r\n"
    ).encode()


def deliver(user: MailUser, *numbers: int) -> None:
    for number in numbers:
        user.deliver(message(number))


def flags_by_uid(user: MailUser, folder: str = "INBOX") -> dict[int, set[bytes]]:
    with user.client() as client:
        client.select_folder(folder, readonly=True)
        fetched = client.fetch(client.search(), ["FLAGS"])
        return {uid: set(data[b"FLAGS"]) for uid, data in fetched.items()}


def subjects(user: MailUser, folder: str) -> list[str]:
    with user.client() as client:
        client.select_folder(folder, readonly=True)
        fetched = client.fetch(client.search(), [b"BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        return sorted(
            data[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip().removeprefix("Subject: ")
            for data in fetched.values()
        )


# --- listing and fetching ------------------------------------------------------------------


def test_uids_after_lists_only_newer_messages(mail_user):
    deliver(mail_user, 1, 2, 3, 4, 5)
    with ImapSource(mail_user.settings()) as source:
        assert source.uids_after(0) == [1, 2, 3, 4, 5]
        assert source.uids_after(3) == [4, 5]
        # IMAP's "6:*" still matches the highest UID (5): it must not come back
        assert source.uids_after(5) == []
        assert source.uids_after(99) == []
        mail_user.deliver(message(6))  # arrives while connected
        assert source.uids_after(5) == [6]


def test_an_empty_folder_has_no_uids(mail_user):
    with ImapSource(mail_user.settings()) as source:
        assert source.uids_after(0) == []
        assert list(source.fetch([])) == []


def test_fetch_returns_each_message_as_delivered_in_uid_order_in_batches(mail_user):
    deliver(mail_user, *range(1, 8))
    with ImapSource(mail_user.settings(), batch_size=3) as source:
        rounds: list[list[int]] = []
        real_fetch = source.client.fetch

        def counting_fetch(uids, data, *args):  # a spy: the real FETCH still runs
            if b"BODY.PEEK[]" in data:
                rounds.append(list(uids))
            return real_fetch(uids, data, *args)

        source.client.fetch = counting_fetch
        fetched = list(source.fetch([7, 1, 2, 3, 4, 5, 6, 3]))
    assert [uid for uid, _ in fetched] == [1, 2, 3, 4, 5, 6, 7]
    assert rounds == [[1, 2, 3], [4, 5, 6], [7]]
    for uid, raw in fetched:
        # dovecot adds Return-Path, Delivered-To and Received in front of the message as sent
        assert raw.endswith(message(uid))
        assert raw.startswith(b"Return-Path: <sender@example.test>\r\n")
        assert parse_message(raw).message_id == f"<m{uid}@example.test>"


def test_fetch_batches_also_by_size(mail_user):
    big = "x" * 5000
    for number in (1, 2, 3):
        mail_user.deliver(message(number, body=big))
    with ImapSource(mail_user.settings(), batch_bytes=12_000) as source:
        rounds: list[list[int]] = []
        real_fetch = source.client.fetch

        def counting_fetch(uids, data, *args):
            if b"BODY.PEEK[]" in data:
                rounds.append(list(uids))
            return real_fetch(uids, data, *args)

        source.client.fetch = counting_fetch
        sizes = source.sizes([1, 2, 3])
        assert [uid for uid, _ in source.fetch([1, 2, 3])] == [1, 2, 3]
    assert all(5000 < size < 6000 for size in sizes.values())
    assert rounds == [[1, 2], [3]]


def test_sizes_are_known_without_downloading(mail_user):
    mail_user.deliver(message(1, body="y" * 100_000))
    with ImapSource(mail_user.settings()) as source:
        (size,) = source.sizes([1]).values()
        (_, raw), = source.fetch([1])  # fmt: skip
    assert size == len(raw)


def test_fetching_does_not_mark_messages_read(mail_user):
    deliver(mail_user, 1, 2)
    with ImapSource(mail_user.settings()) as source:
        assert len(list(source.fetch(source.uids_after(0)))) == 2
    assert flags_by_uid(mail_user) == {1: set(), 2: set()}


def test_a_message_deleted_meanwhile_is_skipped_not_an_error(mail_user):
    deliver(mail_user, 1, 2, 3)
    with ImapSource(mail_user.settings()) as source:
        uids = source.uids_after(0)
        with mail_user.client() as other:  # another mail client deletes message 2
            other.select_folder("INBOX")
            other.delete_messages([2])
            other.expunge()
        assert [uid for uid, _ in source.fetch(uids)] == [1, 3]


# --- marking processed ---------------------------------------------------------------------


def test_mark_processed_flags_seen_only_the_given_messages(mail_user):
    deliver(mail_user, 1, 2, 3)
    with ImapSource(mail_user.settings()) as source:
        source.mark_processed([1, 3])
        source.mark_processed([])
        assert source.uids_after(0) == [1, 2, 3]  # still there: not moved
    flags = flags_by_uid(mail_user)
    assert b"\\Seen" in flags[1] and b"\\Seen" in flags[3]
    assert b"\\Seen" not in flags[2]


def test_mark_processed_moves_to_a_folder_created_on_demand(mail_user):
    deliver(mail_user, 1, 2, 3)
    folder = "Vínculo procesados"  # non-ASCII: sent in modified UTF-7
    with ImapSource(mail_user.settings()) as source:
        source.mark_processed([1, 2], move_to=folder)
        assert source.uids_after(0) == [3]
        source.mark_processed([3], move_to=folder)  # the folder exists by now
        assert source.uids_after(0) == []
    assert subjects(mail_user, folder) == ["Consulta 1", "Consulta 2", "Consulta 3"]
    assert all(b"\\Seen" in flags for flags in flags_by_uid(mail_user, folder).values())
    with mail_user.client() as client:
        assert client.folder_exists(folder)


NO_MOVE = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS"


@pytest.fixture(scope="module", params=[NO_MOVE, NO_MOVE.replace(" UIDPLUS", "")],
                ids=["without-MOVE", "without-MOVE-or-UIDPLUS"])  # fmt: skip
def old_server(request) -> Iterator[Dovecot]:
    """A dovecot that advertises neither MOVE (RFC 6851) nor, in one case, UIDPLUS."""
    with dovecot_server(extra_config=f"imap_capability = {request.param}\n") as server:
        yield server


def test_without_move_messages_are_copied_and_expunged(old_server):
    user = old_server.add_user()
    deliver(user, 1, 2, 3)
    with ImapSource(user.settings()) as source:
        assert not source.client.has_capability("MOVE")
        source.mark_processed([1, 3], move_to="Processed")
        assert source.uids_after(0) == [2]
    assert subjects(user, "Processed") == ["Consulta 1", "Consulta 3"]
    assert flags_by_uid(user) == {2: set()}  # nothing else touched


def test_without_move_only_the_moved_messages_are_expunged_where_uidplus_allows(old_server):
    user = old_server.add_user()
    deliver(user, 1, 2)
    with user.client() as other:  # another client deleted 2 but has not expunged it yet
        other.select_folder("INBOX")
        other.add_flags([2], [b"\\Deleted"])
    with ImapSource(user.settings()) as source:
        uidplus = source.client.has_capability("UIDPLUS")
        source.mark_processed([1], move_to="Processed")
        # UID EXPUNGE leaves 2 alone; a server without UIDPLUS only has the folder-wide EXPUNGE
        assert source.uids_after(0) == ([2] if uidplus else [])
    assert subjects(user, "Processed") == ["Consulta 1"]


# --- UIDVALIDITY ---------------------------------------------------------------------------


def test_uidvalidity_is_the_folders_and_changes_when_the_folder_is_recreated(mail_user):
    mail_user.append(message(1), folder="Soporte")
    with mail_user.client() as client:
        expected = client.select_folder("Soporte", readonly=True)[b"UIDVALIDITY"]
    settings = mail_user.settings(folder="Soporte")
    with ImapSource(settings) as source:
        assert source.uidvalidity == expected
        assert source.uids_after(0) == [1]
    with ImapSource(settings) as again:
        assert again.uidvalidity == expected  # stable across connections
    # the folder is deleted and created again: UIDs start over, and UIDVALIDITY says so
    with mail_user.client() as client:
        client.delete_folder("Soporte")
    time.sleep(1.1)  # dovecot derives a new UIDVALIDITY from the clock, in seconds
    mail_user.append(message(2), folder="Soporte")
    with ImapSource(settings) as source:
        assert source.uidvalidity != expected
        assert source.uids_after(0) == [1]
        ((_, raw),) = source.fetch([1])
    assert parse_message(raw).message_id == "<m2@example.test>"


def test_a_bounce_delivered_with_a_null_sender_reads_as_auto_submitted(mail_user):
    mail_user.deliver(message(1), sender="")
    with ImapSource(mail_user.settings()) as source:
        ((_, raw),) = source.fetch(source.uids_after(0))
    assert raw.startswith(b"Return-Path: <>")
    assert parse_message(raw).auto_submitted is True


# --- errors for the settings page ----------------------------------------------------------


def test_check_connection_accepts_good_settings(mail_user):
    assert check_connection(mail_user.settings()) is None


def test_a_wrong_password_is_a_clear_auth_error(mail_user):
    with pytest.raises(ImapError) as failed:
        check_connection(mail_user.settings(password="wrong"))
    assert failed.value.code == "auth"
    assert f"refused the user name or password for {mail_user.address}" in str(failed.value)


def test_a_missing_folder_is_a_clear_folder_error(mail_user):
    with pytest.raises(ImapError) as failed:
        check_connection(mail_user.settings(folder="Nope"))
    assert failed.value.code == "folder"
    assert str(failed.value) == "the mailbox has no folder 'Nope'"


def test_a_closed_port_is_a_clear_unreachable_error(mail_user):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ImapError) as failed:
        check_connection(mail_user.settings(port=port))
    assert failed.value.code == "unreachable"
    assert f"cannot reach 127.0.0.1:{port}" in str(failed.value)
    assert "refused" in str(failed.value).lower()


def test_an_unknown_host_is_a_clear_unreachable_error(mail_user):
    with pytest.raises(ImapError) as failed:
        check_connection(mail_user.settings(host="imap.no-such-host.invalid"))
    assert failed.value.code == "unreachable"
    assert "imap.no-such-host.invalid" in str(failed.value)


def test_a_server_that_never_answers_times_out_with_a_clear_error(mail_user):
    with socket.socket() as silent:  # accepts the connection (backlog), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(ImapError) as failed:
            check_connection(mail_user.settings(port=port, timeout=1))
    assert time.monotonic() - started < 5
    assert failed.value.code == "unreachable"
    assert f"127.0.0.1:{port} did not answer within 1 s" in str(failed.value)


def test_the_source_must_be_entered_before_use(mail_user):
    source = ImapSource(mail_user.settings())
    with pytest.raises(RuntimeError, match="context manager"):
        source.uids_after(0)


# --- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server() -> Iterator[Dovecot]:
    with dovecot_server(tls=True) as server:
        yield server


def login_lines(server: Dovecot, user: MailUser) -> list[str]:
    return [line for line in server.log().splitlines() if f"Login: user=<{user.address}>" in line]


def test_implicit_tls_with_a_trusted_certificate(tls_server):
    user = tls_server.add_user()
    user.deliver(message(1))
    settings = user.settings(port=tls_server.imaps_port, use_ssl=True)
    with ImapSource(settings, ssl_context=tls_server.ssl_context()) as source:
        assert source.uids_after(0) == [1]
    assert any(", TLS," in line for line in login_lines(tls_server, user))


def test_starttls_is_used_when_the_plain_port_offers_it(tls_server):
    user = tls_server.add_user()
    with ImapSource(user.settings(), ssl_context=tls_server.ssl_context()) as source:
        assert source.uids_after(0) == []
    (line,) = login_lines(tls_server, user)
    assert ", TLS," in line


@pytest.mark.parametrize("implicit", [True, False], ids=["imaps", "starttls"])
def test_an_untrusted_certificate_is_a_clear_tls_error_and_no_login(tls_server, implicit):
    user = tls_server.add_user()
    port = tls_server.imaps_port if implicit else tls_server.imap_port
    with pytest.raises(ImapError) as failed:
        check_connection(user.settings(port=port, use_ssl=implicit))  # system CAs only
    assert failed.value.code == "tls"
    assert "certificate verify failed" in str(failed.value)
    assert isinstance(failed.value.__cause__, ssl.SSLError)
    assert login_lines(tls_server, user) == []  # the password never went out in the clear
