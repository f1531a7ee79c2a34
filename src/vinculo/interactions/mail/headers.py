"""Headers of inbound and outbound mail: addresses, Message-IDs, threading (In-Reply-To,
References) and automatic replies (no Django)."""

from __future__ import annotations

import re
import secrets
from email.message import Message
from email.utils import getaddresses
from typing import Any

from vinculo.interactions.mail.message import _HEADERS, MAX_REFERENCES
from vinculo.interactions.mail.text import (
    _CONTROL,
    _SURROGATE,
    _describe,
    _storable,
    _unescape_8bit,
)

# --- headers -------------------------------------------------------------------------------


def _raw_header(message: Message, name: str) -> str | None:
    lowered = name.lower()
    for key, value in message.raw_items():
        if key.lower() == lowered:
            return re.sub(r"[\r\n]", "", str(value))
    return None


def _parsed_header(message: Message, name: str, defects: list[str]) -> Any:
    """policy.default's header object for `name` (addresses, dates), after 8-bit repair."""
    value = _raw_header(message, name)
    if value is None:
        return None
    value = _unescape_8bit(value, f"the {name} header", defects)
    try:
        header = _HEADERS(name, value)
    except Exception:  # the header parser has bugs on hostile input
        defects.append(f"the {name} header could not be parsed")
        return value
    defects.extend(f"{name} header: {_describe(defect)}" for defect in header.defects)
    return header


def _valid_address(address: str) -> bool:
    local, _at, domain = address.rpartition("@")
    return bool(local and domain) and not any(c.isspace() or c in "<>,;\"" for c in address)


def _addresses(message: Message, name: str, defects: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs; unusable entries are noted and left out."""
    header = _parsed_header(message, name, defects)
    if header is None:
        return []
    pairs: list[tuple[str, str]] = []
    try:
        pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
    except Exception:  # fall back to the lenient stdlib splitter
        pairs = getaddresses([str(header)])
    result: list[tuple[str, str]] = []
    for display, address in pairs:
        display = _storable(_unescape_8bit(display or "", f"the {name} header", defects),
                            one_line=True)  # fmt: skip
        address = _storable(_unescape_8bit(address or "", f"the {name} header", defects),
                            one_line=True).lower()  # fmt: skip
        address = address.strip("<>")
        if _valid_address(address):
            result.append((display, address))
        elif address:
            defects.append(f"unusable address {address!r} in the {name} header left out")
    return result


_MSG_ID = re.compile(r"<([^<>]*)>")


def normalise_message_id(value: str | None) -> str:
    """The "<id>" in a Message-ID-like value (brackets added, folding removed), or '' when the
    value holds no usable id."""
    if not value:
        return ""
    match = _MSG_ID.search(value)
    inner = re.sub(r"\s+", "", match.group(1)) if match else value.strip()
    if not inner or len(inner) > 500 or any(c.isspace() or c in "<>" for c in inner):
        return ""
    if _CONTROL.search(inner) or _SURROGATE.search(inner):
        return ""
    return f"<{inner}>"


def _id_list(value: str | None) -> list[str]:
    if not value:
        return []
    tokens = _MSG_ID.findall(value) or [t for t in re.split(r"[\s,]+", value) if "@" in t]
    ids: list[str] = []
    for token in tokens:
        normalised = normalise_message_id(f"<{token}>")
        if normalised and normalised not in ids:
            ids.append(normalised)
    return ids


def reply_headers(parent_message_id: str, parent_references: list[str]) -> dict[str, str]:
    """In-Reply-To and References for a reply to a message (RFC 5322 §3.6.4): the parent's
    References followed by its Message-ID, capped at MAX_REFERENCES ids — the thread's first
    message and the most recent ones, which is what threading clients rely on."""
    parent = normalise_message_id(parent_message_id)
    if not parent:
        raise ValueError(f"not a Message-ID: {parent_message_id!r}")
    chain = [i for i in dict.fromkeys(map(normalise_message_id, parent_references)) if i]
    chain = [i for i in chain if i != parent] + [parent]
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    return {"In-Reply-To": parent, "References": " ".join(chain)}


def make_message_id(domain: str) -> str:
    """A new Message-ID at `domain`, unguessable (a guessable id would let a stranger thread a
    message into someone else's conversation by replying to it)."""
    domain = domain.strip().lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError(f"not a domain name: {domain!r}") from error
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", domain):
        raise ValueError(f"not a domain name: {domain!r}")
    return f"<{secrets.token_hex(16)}@{domain}>"


def _auto_submitted(message: Message, from_address: str) -> bool:
    """RFC 3834 and the de-facto headers of auto-replies, bounces and list mail."""

    def value(name: str) -> str:
        return (_raw_header(message, name) or "").strip().lower()

    auto = value("auto-submitted").split(";")[0].strip()
    if auto and auto != "no":
        return True
    if _raw_header(message, "x-autoreply") is not None:
        return True
    if _raw_header(message, "x-autorespond") is not None:
        return True
    if value("precedence") in ("bulk", "junk", "list", "auto_reply"):
        return True
    if _raw_header(message, "list-id") is not None:
        return True
    return_path = _raw_header(message, "return-path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return True
    if from_address.split("@")[0] in ("mailer-daemon", "mailer_daemon"):
        return True
    return message.get_content_type() == "multipart/report"
