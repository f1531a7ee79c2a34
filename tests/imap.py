"""A real IMAP server (Debian's dovecot) on free local ports, for tests that read mailboxes.

`dovecot_server()` starts a private dovecot — its own configuration, Maildir
storage and log file in a temporary directory — listening on 127.0.0.1 for IMAP and LMTP, and
stops it on exit. Messages reach a mailbox the way a mail server delivers them, over LMTP
(`Dovecot.deliver`); `MailUser.append` puts one into any folder with IMAP APPEND.

Fixtures: `dovecot` is one server for the whole session; `mail_user` is a fresh user (an empty
mailbox) per test, so tests stay independent. A test module binds them by name —
`dovecot, mail_user = imap.dovecot, imap.mail_user` — (an import would read as unused to ruff);
registered in tests/conftest.py instead, every module would share one server.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import secrets
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from imapclient import IMAPClient

from vinculo.interactions.mail.imap import ImapSettings

DOVECOT = "/usr/sbin/dovecot"
HOST = "127.0.0.1"
DOMAIN = "example.test"
_user_numbers = itertools.count(1)


@dataclass(frozen=True)
class MailUser:
    """A mailbox on the test server: log in with `address` and `password`."""

    address: str
    password: str
    server: Dovecot

    def settings(self, **changes) -> ImapSettings:
        """Mailbox settings for this user's INBOX over plain IMAP (override any field)."""
        base = ImapSettings(
            host=HOST,
            port=self.server.imap_port,
            use_ssl=False,
            username=self.address,
            password=self.password,
            timeout=10,
        )
        return replace(base, **changes)

    def deliver(self, raw: bytes, *, sender: str = f"sender@{DOMAIN}") -> None:
        self.server.deliver(self.address, raw, sender=sender)

    def deliver_many(self, raws: Iterable[bytes], *, sender: str = f"sender@{DOMAIN}") -> None:
        self.server.deliver_many(self.address, raws, sender=sender)

    @contextmanager
    def client(self) -> Iterator[IMAPClient]:
        """A logged-in IMAP client, to look at the mailbox independently of the code under test."""
        client = IMAPClient(HOST, port=self.server.imap_port, ssl=False, timeout=10)
        try:
            client.login(self.address, self.password)
            yield client
        finally:
            try:
                client.logout()
            except (OSError, IMAPClient.Error):
                client.shutdown()

    def append(self, raw: bytes, *, folder: str = "INBOX", flags: Sequence[bytes] = ()) -> int:
        """Store `raw` with IMAP APPEND (creating `folder` if needed); return its UID."""
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=flags)
        found = re.search(rb"APPENDUID \d+ (\d+)", response)
        assert found, response
        return int(found.group(1))


class Dovecot:
    """A running private dovecot; see `dovecot_server`."""

    def __init__(self, root: Path, imap_port: int, lmtp_port: int, imaps_port: int | None):
        self.root = root
        self.imap_port = imap_port
        self.lmtp_port = lmtp_port
        self.imaps_port = imaps_port
        self.log_path = root / "dovecot.log"
        self.ca_file = root / "cert.pem" if imaps_port else None
        self.secret = secrets.token_hex(8)

    def add_user(self) -> MailUser:
        """A new user with an empty mailbox. Every address at example.test exists (a static
        userdb: a passwd-file would be re-read at most once a second), and its password is
        derived from the address and this server's secret, so a wrong one is refused."""
        address = f"user{next(_user_numbers)}-{secrets.token_hex(3)}@{DOMAIN}"
        return MailUser(address=address, password=f"{address}/{self.secret}", server=self)

    def deliver(self, recipient: str, raw: bytes, *, sender: str = f"sender@{DOMAIN}") -> None:
        """Deliver `raw` to `recipient`'s INBOX over LMTP, as a mail server would (dovecot adds
        Return-Path and Delivered-To). An empty `sender` is the null return path of a bounce."""
        self.deliver_many(recipient, [raw], sender=sender)

    def deliver_many(
        self, recipient: str, raws: Iterable[bytes], *, sender: str = f"sender@{DOMAIN}"
    ) -> None:
        """Deliver several messages over one LMTP session (to fill a mailbox for a benchmark)."""
        with closing(smtplib.LMTP(HOST, self.lmtp_port, timeout=30)) as lmtp:
            for raw in raws:
                lmtp.sendmail(sender, [recipient], raw)

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate."""
        assert self.ca_file, "start the server with dovecot_server(tls=True)"
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.check_hostname = True
        return context

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _mail_owner() -> tuple[int, int]:
    # Dovecot refuses to access mail as root: as root, the mailboxes belong to the `dovecot`
    # user that Debian's package creates; otherwise to whoever runs the tests.
    if os.geteuid() == 0:
        entry = pwd.getpwnam("dovecot")
        return entry.pw_uid, entry.pw_gid
    return os.getuid(), os.getgid()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _config(
    root: Path, imap_port: int, lmtp_port: int, imaps_port: int | None, secret: str, extra: str
) -> str:
    uid, gid = _mail_owner()
    if os.geteuid() == 0:
        users = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
        chroot = ""
    else:  # one unprivileged user runs every process, and nothing can chroot
        me = pwd.getpwuid(os.getuid()).pw_name
        users = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
        chroot = "  chroot =\n"
    if imaps_port:
        tls = (
            f"ssl = yes\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem\n"
            "ssl_min_protocol = TLSv1.2\n"
        )
        imaps = f"  inet_listener imaps {{\n    address = {HOST}\n    port = {imaps_port}\n  }}\n"
    else:
        tls = "ssl = no\n"
        imaps = "  inet_listener imaps {\n    port = 0\n  }\n"
    return f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap lmtp
listen = {HOST}
{users}first_valid_uid = {uid}
mail_location = maildir:~/Maildir
mail_fsync = never
disable_plaintext_auth = no
auth_mechanisms = plain login
postmaster_address = postmaster@{DOMAIN}
{tls}
passdb {{
  driver = static
  args = password=%u/{secret}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u allow_all_users=yes
}}
service imap-login {{
{chroot}  inet_listener imap {{
    address = {HOST}
    port = {imap_port}
  }}
{imaps}}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {lmtp_port}
  }}
}}
service anvil {{
{chroot}}}
{extra}
"""


def _make_certificate(root: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
         "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip


def _wait_until_ready(process: subprocess.Popen, server: Dovecot) -> None:
    """Wait until IMAP and LMTP greet (and the IMAPS port accepts), or dovecot gave up."""
    deadline = time.monotonic() + 15
    greeting_ports = [server.imap_port, server.lmtp_port]
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}:\n{server.log()}")
        try:
            for port in greeting_ports:
                with socket.create_connection((HOST, port), timeout=2) as connection:
                    if not connection.recv(64):
                        raise ConnectionResetError
            if server.imaps_port:
                socket.create_connection((HOST, server.imaps_port), timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not start listening:\n{server.log()}") from None
            time.sleep(0.05)


@contextmanager
def dovecot_server(*, tls: bool = False, extra_config: str = "") -> Iterator[Dovecot]:
    """Start a private dovecot and stop it on exit. `tls=True` also opens an IMAPS port with a
    fresh self-signed certificate (`Dovecot.ssl_context()` trusts it) and offers STARTTLS;
    `extra_config` is appended to dovecot.conf (e.g. an `imap_capability` without MOVE)."""
    root = Path(tempfile.mkdtemp(prefix="vinculo-dovecot-"))
    process = None
    try:
        root.chmod(0o755)  # the mail user (not root) walks through it to its Maildir
        uid, gid = _mail_owner()
        (root / "mail").mkdir()
        os.chown(root / "mail", uid, gid)
        if tls:
            _make_certificate(root)
        server = Dovecot(root, _free_port(), _free_port(), _free_port() if tls else None)
        config = root / "dovecot.conf"
        config.write_text(
            _config(
                root, server.imap_port, server.lmtp_port, server.imaps_port, server.secret,
                extra_config,
            )
        )
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(root / "stderr.log").open("wb"),
        )
        _wait_until_ready(process, server)
        yield server
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    with dovecot_server() as server:
        yield server


@pytest.fixture
def mail_user(dovecot: Dovecot) -> MailUser:
    return dovecot.add_user()
