"""Read a mailbox over IMAP for the inbound e-mail poller, without Django.

The poller keeps, per mailbox, the folder's UIDVALIDITY and the last UID it stored:

    with ImapSource(settings) as source:
        if source.uidvalidity != mailbox.uidvalidity:   # the server renumbered the folder:
            last_uid = 0                                # start over, de-duplicate by Message-ID
        for uid, raw in source.fetch(source.uids_after(last_uid)):
            store(raw)                                  # in its own transaction
            source.mark_processed([uid], move_to="Processed")
            remember(uidvalidity, uid)

Messages are fetched with BODY.PEEK[], so reading one changes nothing on the server; only
`mark_processed`, called after a message is stored, flags it \\Seen (and moves it). A crash
between the two re-reads the message on the next poll: nothing is lost, and the Message-ID
de-duplicates it.

Built on IMAPClient rather than the stdlib's imaplib: it parses FETCH, SEARCH and SELECT
responses (imaplib hands back raw byte lines to parse by hand), knows capabilities (MOVE,
UIDPLUS), encodes folder names in modified UTF-7, and has connect and read timeouts.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import islice
from typing import Self

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

logger = logging.getLogger(__name__)

SEEN = b"\\Seen"
DELETED = b"\\Deleted"
FETCH_BATCH = 100  # messages per FETCH round trip
FETCH_BATCH_BYTES = 20 * 1024 * 1024  # ...and at most this much mail held in memory at once
COMMAND_CHUNK = 500  # UIDs per STORE / MOVE / SEARCH command, to keep command lines short


@dataclass
class ImapSettings:
    """One mailbox. `use_ssl` is TLS from the first byte (port 993); without it the connection
    is upgraded with STARTTLS whenever the server offers it, and stays plain only when it
    does not. Certificates are always verified."""

    host: str
    port: int
    use_ssl: bool
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    timeout: float = 30


class ImapError(Exception):
    """The mailbox cannot be read. `code` says why, for a translated message on the settings
    page: "unreachable", "tls", "auth", "folder" or "protocol"."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@contextmanager
def _errors(settings: ImapSettings, doing: str) -> Iterator[None]:
    """Turn socket, TLS and protocol failures into an ImapError that says what failed."""
    where = f"{settings.host}:{settings.port}"
    try:
        yield
    except ImapError:
        raise
    except LoginError as error:
        raise ImapError(
            "auth", f"{where} refused the user name or password for {settings.username}: {error}"
        ) from error
    except ssl.SSLError as error:  # before OSError: SSLError is one
        raise ImapError("tls", f"secure connection to {where} failed: {error}") from error
    except socket.gaierror as error:
        raise ImapError("unreachable", f"unknown host {settings.host}: {error}") from error
    except TimeoutError as error:
        raise ImapError(
            "unreachable", f"{where} did not answer within {settings.timeout:g} s ({doing})"
        ) from error
    except OSError as error:
        raise ImapError("unreachable", f"cannot reach {where} ({doing}): {error}") from error
    except IMAPClientError as error:
        raise ImapError("protocol", f"{where} refused to {doing}: {error}") from error


def _chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class ImapSource:
    """A logged-in connection with the mailbox's folder selected (a context manager)."""

    uidvalidity: int

    def __init__(
        self,
        settings: ImapSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        batch_size: int = FETCH_BATCH,
        batch_bytes: int = FETCH_BATCH_BYTES,
    ) -> None:
        """`ssl_context` replaces the default (system CAs, host name checked), e.g. to trust a
        company's own certificate authority."""
        self.settings = settings
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._client: IMAPClient | None = None

    def __enter__(self) -> Self:
        settings = self.settings
        with _errors(settings, "connect"):
            client = IMAPClient(
                settings.host,
                port=settings.port,
                ssl=settings.use_ssl,
                ssl_context=self._ssl_context,
                timeout=settings.timeout,
            )
        self._client = client
        try:
            with _errors(settings, "log in"):
                if not settings.use_ssl and client.has_capability("STARTTLS"):
                    client.starttls(self._ssl_context)
                client.login(settings.username, settings.password)
            with _errors(settings, f"open folder {settings.folder}"):
                try:
                    selected = client.select_folder(settings.folder)
                except IMAPClientError as error:
                    if client.folder_exists(settings.folder):
                        raise
                    raise ImapError(
                        "folder", f"the mailbox has no folder {settings.folder!r}"
                    ) from error
            self.uidvalidity = int(selected[b"UIDVALIDITY"])
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (OSError, IMAPClientError):
            with suppress(OSError):
                client.shutdown()

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise RuntimeError("use ImapSource as a context manager")
        return self._client

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above `last_uid` in the folder, ascending, including mail that arrived since
        the folder was opened."""
        with _errors(self.settings, "search"):
            self.client.noop()  # a server reports new mail to a session only between commands
            # "n:*" always includes the highest UID, even when it is below n: filter it out
            found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        """The size in bytes of each message, without downloading it (so an oversized message
        can be refused by its size). Messages deleted meanwhile are missing from the answer."""
        result: dict[int, int] = {}
        with _errors(self.settings, "fetch sizes"):
            for chunk in _chunks(uids, COMMAND_CHUNK):
                for uid, data in self.client.fetch(chunk, [b"RFC822.SIZE"]).items():
                    result[uid] = int(data[b"RFC822.SIZE"])
        return result

    def fetch(self, uids: Sequence[int]) -> Iterator[tuple[int, bytes]]:
        """(uid, raw message) in ascending UID order, in batches of `batch_size` messages and
        about `batch_bytes` per round trip. A message deleted by someone else meanwhile is
        skipped (and logged): it is no longer there to lose."""
        ordered = sorted(set(uids))
        sizes = self.sizes(ordered)
        batch: list[int] = []
        batch_bytes = 0
        for uid in ordered:
            if uid not in sizes:
                logger.info("IMAP %s: UID %s vanished before it was fetched", self._name(), uid)
                continue
            if batch and (len(batch) >= self.batch_size
                          or batch_bytes + sizes[uid] > self.batch_bytes):  # fmt: skip
                yield from self._fetch_batch(batch)
                batch, batch_bytes = [], 0
            batch.append(uid)
            batch_bytes += sizes[uid]
        if batch:
            yield from self._fetch_batch(batch)

    def _fetch_batch(self, batch: list[int]) -> Iterator[tuple[int, bytes]]:
        with _errors(self.settings, "fetch messages"):
            response = self.client.fetch(batch, [b"BODY.PEEK[]"])
        for uid in batch:
            data = response.get(uid)
            if data is None or b"BODY[]" not in data:
                logger.info("IMAP %s: UID %s vanished before it was fetched", self._name(), uid)
                continue
            yield uid, data[b"BODY[]"]

    def mark_processed(self, uids: Sequence[int], move_to: str | None = None) -> None:
        """Flag the messages \\Seen and, with `move_to`, move them to that folder (created on
        first use). MOVE when the server has it; otherwise COPY, flag \\Deleted and expunge
        just these UIDs (UIDPLUS), or the folder's deleted messages on a server without it."""
        if not uids:
            return
        client = self.client
        with _errors(self.settings, "mark messages processed"):
            for chunk in _chunks(sorted(set(uids)), COMMAND_CHUNK):
                client.add_flags(chunk, [SEEN], silent=True)
            if move_to is None:
                return
            self._ensure_folder(move_to)
            for chunk in _chunks(sorted(set(uids)), COMMAND_CHUNK):
                if client.has_capability("MOVE"):
                    client.move(chunk, move_to)
                    continue
                client.copy(chunk, move_to)
                client.add_flags(chunk, [DELETED], silent=True)
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge(chunk)
                else:
                    client.expunge()

    def _ensure_folder(self, folder: str) -> None:
        if self.client.folder_exists(folder):
            return
        try:
            self.client.create_folder(folder)
        except IMAPClientError:
            if not self.client.folder_exists(folder):  # not just another poller's race
                raise

    def _name(self) -> str:
        return f"{self.settings.username}@{self.settings.host}/{self.settings.folder}"


def check_connection(settings: ImapSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
    """Connect, log in and open the folder, for the settings page's "test connection": raises
    ImapError (code "unreachable", "tls", "auth", "folder" or "protocol") saying what failed."""
    with ImapSource(settings, ssl_context=ssl_context):
        pass
