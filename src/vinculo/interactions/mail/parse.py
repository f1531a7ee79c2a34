"""Raw RFC 5322 bytes → a plain `ParsedMessage`, for inbound e-mail (no Django).

Mail in the wild is broken in every way a parser can imagine, and a CRM must neither crash on
it nor lose it. So `parse_message` keeps every message it can use, and says what it had to
repair in `defects` (unknown charsets, raw 8-bit headers, broken encoded words, a missing
Date, attachments dropped for size…); it refuses — `MessageRejected`, with the reason — only a
message that cannot be used at all: no sender address, over the size limit, or not mail.
Every string it returns can be stored as is: valid Unicode, no NUL, no lone surrogates.

The stdlib `email` package (policy.default) does the MIME work; `nh3` (the Ammonia
sanitiser) cleans HTML bodies. Encoded words and body charsets are decoded here, because the
stdlib's decoders either raise on an unknown charset or hand back undecodable bytes as
surrogates, and a fallback that decodes them is the point.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.message import Message

from vinculo.interactions.mail.bodies import (
    _attachment,
    _leaves,
    _part_text,
    _size_text,
    html_to_text,
    sanitise_html,
)
from vinculo.interactions.mail.headers import (
    _addresses,
    _auto_submitted,
    _id_list,
    _parsed_header,
    _raw_header,
    normalise_message_id,
)
from vinculo.interactions.mail.message import (
    _PARSER,
    GENERATED_ID_DOMAIN,
    MAX_ATTACHMENT_BYTES,
    MAX_MESSAGE_BYTES,
    MessageRejected,
    ParsedAttachment,
    ParsedMessage,
)
from vinculo.interactions.mail.text import _describe, _storable, _unescape_8bit, decode_header_text

# --- the message ---------------------------------------------------------------------------


def parse_message(
    raw: bytes,
    *,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
    received_at: datetime | None = None,
) -> ParsedMessage:
    """Parse one message. Raises MessageRejected only for a message that cannot be used;
    everything repaired along the way is listed in `defects`."""
    received_at = received_at or datetime.now(UTC)
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    if not raw.strip():
        raise MessageRejected("the message is empty")
    if len(raw) > max_message_bytes:
        raise MessageRejected(
            f"the message is {_size_text(len(raw))}, larger than the "
            f"{_size_text(max_message_bytes)} limit"
        )
    try:
        message = _PARSER.parsebytes(raw)
        return _build(message, raw, max_attachment_bytes, received_at)
    except MessageRejected:
        raise
    except RecursionError as error:
        raise MessageRejected("the message's MIME structure is nested too deeply") from error
    except Exception as error:  # the poller must get a reason, never a crash
        raise MessageRejected(f"the message cannot be parsed: {error!r}") from error


def _build(
    message: Message, raw: bytes, max_attachment_bytes: int, received_at: datetime
) -> ParsedMessage:
    defects: list[str] = []
    if not any(True for _ in message.raw_items()):
        raise MessageRejected("not a mail message: it has no header fields")

    senders = _addresses(message, "From", defects)
    if not senders:
        for fallback in ("Sender", "Return-Path"):
            senders = _addresses(message, fallback, defects)
            if senders:
                defects.append(f"no usable From address; the {fallback} address is used")
                break
    if not senders:
        raw_from = _raw_header(message, "From")
        raise MessageRejected(
            "no sender address: the From header is missing" if raw_from is None
            else f"no sender address: the From header {raw_from[:200]!r} holds no usable address"
        )  # fmt: skip
    from_name, from_address = senders[0]

    def id_header(name: str) -> str | None:  # ids may be UTF-8 (RFC 6532)
        value = _raw_header(message, name)
        return None if value is None else _unescape_8bit(value, f"the {name} header", defects)

    raw_id = id_header("Message-ID")
    message_id = normalise_message_id(raw_id)
    generated = not message_id
    if generated:
        # From the content, so that reading the same message again gives the same id and
        # de-duplicates it
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@{GENERATED_ID_DOMAIN}>"
        defects.append(
            "Message-ID header missing; an id was generated" if raw_id is None
            else f"Message-ID {raw_id[:100]!r} unusable; an id was generated"
        )  # fmt: skip

    references = [i for i in _id_list(id_header("References")) if i != message_id]
    in_reply_to = next(
        (i for i in _id_list(id_header("In-Reply-To")) if i != message_id), ""
    )

    subject_raw = _raw_header(message, "Subject")
    if subject_raw is None:
        defects.append("Subject header missing")
    subject = decode_header_text(subject_raw or "", "Subject", defects)

    date = _date(message, received_at, defects)
    reply_to = _addresses(message, "Reply-To", defects)
    to = [address for _, address in _addresses(message, "To", defects)]
    cc = [address for _, address in _addresses(message, "Cc", defects)]

    text, html, attachments = _bodies(message, max_attachment_bytes, defects)
    for defect in message.defects:
        defects.append(_describe(defect))

    return ParsedMessage(
        message_id=message_id,
        generated_id=generated,
        in_reply_to=in_reply_to,
        references=references,
        from_address=from_address,
        from_name=from_name,
        reply_to=reply_to[0][1] if reply_to else "",
        to=list(dict.fromkeys(to)),
        cc=list(dict.fromkeys(cc)),
        subject=subject,
        date=date,
        text=text,
        html=html,
        attachments=attachments,
        auto_submitted=_auto_submitted(message, from_address),
        defects=list(dict.fromkeys(_storable(d, one_line=True) for d in defects)),
        size=len(raw),
    )


def _date(message: Message, received_at: datetime, defects: list[str]) -> datetime:
    header = _parsed_header(message, "Date", defects)
    if header is None:
        defects.append("Date header missing; the receive time is used")
        return received_at
    value = getattr(header, "datetime", None)
    if value is None:
        shown = _storable(str(header), one_line=True)[:100]
        defects.append(f"Date header {shown!r} unparseable; the receive time is used")
        return received_at
    if value.tzinfo is None:  # "-0000": the time zone is unknown (RFC 5322 §3.3); take UTC
        value = value.replace(tzinfo=UTC)
    return value


def _bodies(
    message: Message, max_attachment_bytes: int, defects: list[str]
) -> tuple[str, str, list[ParsedAttachment]]:
    """The text and HTML bodies and the attachments. The first inline text/plain and text/html
    parts are the bodies (as the email package's get_body finds them); a text part inside a
    multipart/alternative beside them is another rendering of the same content and is
    skipped; any other inline text (a list footer, text between inline images) is appended;
    every other leaf is an attachment."""
    leaves = _leaves(message)
    inline = [leaf for leaf in leaves if not leaf.attachment]
    plain = next((leaf for leaf in inline if leaf.content_type == "text/plain"), None)
    html = next((leaf for leaf in inline if leaf.content_type == "text/html"), None)
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[ParsedAttachment] = []
    for leaf in leaves:
        is_body = leaf is plain or leaf is html
        if is_body or (not leaf.attachment and leaf.content_type in ("text/plain", "text/html")):
            if is_body or not leaf.in_alternative:
                plain_text = leaf.content_type == "text/plain"
                what = "the text body" if plain_text else "the HTML body"
                (texts if plain_text else htmls).append(_part_text(leaf.part, what, defects))
        else:
            number = len(attachments) + 1
            attachments.append(_attachment(leaf.part, number, max_attachment_bytes, defects))
        if leaf.part is not message:  # after decoding, which notes its own defects on the part
            defects.extend(_describe(defect) for defect in leaf.part.defects)
    html_source = "\n".join(htmls)
    text = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    if not text and html_source:
        text = html_to_text(html_source)
    html_clean = sanitise_html(html_source) if html_source.strip() else ""
    return text, html_clean, attachments
