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

import base64
import binascii
import codecs
import hashlib
import mimetypes
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value, getaddresses
from html import unescape
from html.parser import HTMLParser
from io import BytesIO

import nh3

MB = 1024 * 1024
MAX_MESSAGE_BYTES = 40 * MB
MAX_ATTACHMENT_BYTES = 25 * MB
MAX_REFERENCES = 20  # in a reply's References: the thread's root and the 19 most recent
GENERATED_ID_DOMAIN = "generated.vinculo.invalid"

# The MIME structure is parsed with compat32, twice as fast as policy.default, which re-parses
# a header on every access; policy.default's header classes read the few structured headers
# (addresses, Date) on demand.
_PARSER = BytesParser(policy=policy.compat32)
_HEADERS = policy.default.header_factory


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    size: int
    data: bytes | None  # None when dropped (see dropped_reason)
    dropped_reason: str = ""
    content_id: str = ""  # "<id>" of an inline part, which the HTML refers to as "cid:id"


@dataclass
class ParsedMessage:
    message_id: str  # normalised "<id>"; generated from the content when missing or garbled
    generated_id: bool
    in_reply_to: str
    references: list[str]  # normalised ids, oldest first
    from_address: str
    from_name: str
    reply_to: str
    to: list[str]
    cc: list[str]
    subject: str
    date: datetime  # aware; the receive time when Date is missing or unparseable
    text: str
    html: str  # sanitised; '' when the message has no HTML
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_submitted: bool = False  # auto-reply, bounce or list mail: never answer it automatically
    defects: list[str] = field(default_factory=list)
    size: int = 0


class MessageRejected(ValueError):
    """The message cannot be used at all; `reason` says why, for the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- text decoding -----------------------------------------------------------------------

_FALLBACK_CODECS = ("utf-8", "windows-1252", "latin-1")  # latin-1 decodes any byte
_NOT_TEXT_CODECS = {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _codec(label: str) -> str | None:
    """The Python codec for a MIME charset label, or None when there is no usable one."""
    label = label.strip().strip("\"'").split("*")[0].lower()  # RFC 2231 "utf-8*en"
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_TEXT_CODECS:
        return None
    return info.name


def _fallback(data: bytes) -> tuple[str, str]:
    for name in _FALLBACK_CODECS:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def decode_bytes(data: bytes, charset: str | None, what: str, defects: list[str]) -> str:
    """Decode with the declared charset; when it is unknown, missing on 8-bit data, or wrong,
    fall back to UTF-8, then Windows-1252, then Latin-1, and note it in `defects`."""
    label = (charset or "").strip().strip("\"'").lower()
    codec = _codec(label)
    if codec:
        try:
            return data.decode(codec)
        except Exception:  # a codec may fail in any way; the fallback decodes
            text, used = _fallback(data)
            defects.append(f"{what} is not valid {label}; decoded as {used}")
            return text
    if data.isascii():
        return data.decode("ascii")
    text, used = _fallback(data)
    if label and label not in ("unknown-8bit", "x-unknown"):
        defects.append(f"unknown charset {label} in {what} decoded as {used}")
    else:
        defects.append(f"{what} has 8-bit text without a charset; decoded as {used}")
    return text


def _storable(text: str, *, one_line: bool = False) -> str:
    """No NUL or other control characters, no lone surrogates: what a database accepts."""
    if _SURROGATE.search(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    if one_line:
        return " ".join(_CONTROL.sub("", text).split())
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _unescape_8bit(text: str, what: str, defects: list[str]) -> str:
    """The email package keeps undecodable bytes as surrogates: decode them with the fallback."""
    if not _SURROGATE.search(text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    decoded, used = _fallback(raw)
    defects.append(f"raw 8-bit bytes in {what} decoded as {used}")
    return decoded


# RFC 2047 encoded words: =?charset?B|Q?payload?=
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"\s*")
_BROKEN_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?")


def _lenient_b64decode(data: bytes) -> bytes:
    """Base64 as mail readers decode it: stray characters skipped, missing padding added."""
    compact = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(compact) % 4 == 1:  # a lone last character carries no whole byte
        compact = compact[:-1]
    return base64.b64decode(compact + b"=" * (-len(compact) % 4))


def _decode_word(encoding: str, payload: str) -> bytes:
    if encoding in "bB":
        return _lenient_b64decode(payload.encode("ascii", "surrogateescape"))
    return binascii.a2b_qp(payload.encode("ascii", "surrogateescape"), header=True)


def decode_header_text(value: str, what: str, defects: list[str]) -> str:
    """An unstructured header (Subject) decoded: encoded words in any charset, the whitespace
    between adjacent words dropped (RFC 2047 §6.2), a broken word kept literally."""
    value = _unescape_8bit(value, f"the {what} header", defects)
    pieces: list[str] = []
    position = 0
    pending: tuple[str, bytearray] | None = None  # adjacent words in one charset decode together

    def flush() -> None:
        nonlocal pending
        if pending:
            pieces.append(decode_bytes(bytes(pending[1]), pending[0], f"the {what} header",
                                       defects))  # fmt: skip
            pending = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if pending and _BETWEEN_WORDS.fullmatch(between):
            between = ""
        else:
            flush()
        pieces.append(between)
        charset, encoding, payload = match.groups()
        try:
            data = _decode_word(encoding, payload)
        except (binascii.Error, ValueError):  # kept as it was, and noted below
            flush()
            pieces.append(match.group(0))
            position = match.end()
            continue
        if pending and pending[0] == charset.lower():
            pending[1].extend(data)
        else:
            flush()
            pending = (charset.lower(), bytearray(data))
        position = match.end()
    flush()
    pieces.append(value[position:])
    text = "".join(pieces)
    if _BROKEN_WORD.search(text):
        defects.append(f"broken encoded word in the {what} header kept as it was")
    return _storable(text, one_line=True)


# --- headers -------------------------------------------------------------------------------


def _raw_header(message: Message, name: str) -> str | None:
    lowered = name.lower()
    for key, value in message.raw_items():
        if key.lower() == lowered:
            return re.sub(r"[\r\n]", "", str(value))
    return None


def _parsed_header(message: Message, name: str, defects: list[str]):
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


# --- bodies and attachments ----------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """The readable text of an HTML body: block elements become line breaks, scripts and
    styles vanish."""

    BLOCKS = {"address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "footer",
              "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
              "section", "table", "tr", "ul"}  # fmt: skip
    HIDDEN = {"head", "script", "style", "title", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "body":
            self.hidden = 0  # an unclosed <head> must not hide the body
        elif tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML body, one paragraph per line, at most one blank line in a row."""
    try:
        extractor = _TextExtractor()
        extractor.feed(html)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # HTMLParser can trip on hostile markup; strip tags instead
        text = unescape(nh3.clean(html, tags=set()))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_SAFE_STYLE = {
    "background-color", "border", "border-bottom", "border-collapse", "border-color",
    "border-left", "border-right", "border-style", "border-top", "border-width", "color",
    "font", "font-family", "font-size", "font-style", "font-weight", "height", "line-height",
    "list-style-type", "margin", "margin-bottom", "margin-left", "margin-right", "margin-top",
    "padding", "padding-bottom", "padding-left", "padding-right", "padding-top", "text-align",
    "text-decoration", "vertical-align", "white-space", "width",
}  # fmt: skip
_CLEANER = nh3.Cleaner(
    # cid: links an inline image to its attachment, which the page substitutes
    url_schemes=nh3.ALLOWED_URL_SCHEMES | {"cid"},
    clean_content_tags={"script", "style", "title"},
    attributes={**nh3.ALLOWED_ATTRIBUTES, "*": {"style"}},
    filter_style_properties=_SAFE_STYLE,
)


def sanitise_html(html: str) -> str:
    """HTML safe to show in the CRM's pages: no scripts, event handlers, forms or frames."""
    return _CLEANER.clean(html).strip()


# Write enclosed messages back with their headers as they came, not refolded
_GENERATOR_POLICY = policy.compat32.clone(linesep="\r\n", max_line_length=0)


def _flatten(message: Message) -> bytes:
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_GENERATOR_POLICY).flatten(message)
    return out.getvalue()


def _part_bytes(part: Message) -> bytes:
    """The decoded content of a leaf part; for message/* parts, the enclosed message(s)."""
    payload = part.get_payload(decode=part.get_content_maintype() != "message")
    if isinstance(payload, bytes):
        if any(isinstance(d, email_errors.InvalidBase64LengthDefect) for d in part.defects):
            # the email package gave up and returned the base64 text: decode what can be
            return _lenient_b64decode(payload)
        return payload
    if isinstance(payload, list):  # message/rfc822: one message; delivery-status: blocks
        return b"".join(_flatten(enclosed) for enclosed in payload)
    return str(payload or "").encode("utf-8", "surrogateescape")


def _part_text(part: Message, what: str, defects: list[str]) -> str:
    try:
        data = _part_bytes(part)
    except Exception:  # keep the undecoded payload rather than nothing
        data = str(part.get_payload() or "").encode("utf-8", "surrogateescape")
        defects.append(f"{what} could not be decoded; kept as it was sent")
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return _storable(decode_bytes(data, charset, what, defects))


def _filename(part: Message, defects: list[str]) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:  # a broken Content-Disposition: use no name
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value the email package did not collapse
        name = collapse_rfc2231_value(name, errors="replace", fallback_charset="latin-1")
    name = decode_header_text(str(name), "attachment file name", defects)
    name = re.split(r"[\\/]", name)[-1].strip().lstrip(".")  # never a path
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name[:200]
    return name


def _size_text(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def _attachment(
    part: Message, number: int, limit: int, defects: list[str]
) -> ParsedAttachment:
    content_type = part.get_content_type()
    filename = _filename(part, defects)
    content_id = normalise_message_id(_raw_header(part, "content-id"))
    if not filename and content_type == "message/rfc822":  # a forwarded message: its subject
        subject = _raw_header(part.get_payload(0), "Subject") if part.is_multipart() else None
        stem = re.sub(r"[\\/:*?\"<>|]", "_", decode_header_text(subject or "", "Subject", []))
        filename = f"{stem[:100].strip() or 'message'}.eml"
    if not filename:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        filename = f"attachment-{number}{extension}"
        if not content_id:  # an inline image without a name is normal; anything else is not
            defects.append(f"attachment without a file name kept as {filename}")
    try:
        data = _part_bytes(part)
    except Exception:  # keep what was sent, undecoded
        data = str(part.get_payload() or "").encode("utf-8", "surrogateescape")
        defects.append(f"attachment {filename} could not be decoded; kept as it was sent")
    if len(data) > limit:
        reason = f"larger than {_size_text(limit)}"
        defects.append(f"attachment {filename} ({_size_text(len(data))}) dropped: {reason}")
        return ParsedAttachment(filename, content_type, len(data), None, reason, content_id)
    return ParsedAttachment(filename, content_type, len(data), data, "", content_id)


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment" or bool(part.get_filename())
    except Exception:
        return True


@dataclass
class _Leaf:
    part: Message
    content_type: str  # a multipart without a boundary reads as text/plain
    in_alternative: bool  # another rendering of the same content may sit beside it
    attachment: bool


def _leaves(message: Message) -> list[_Leaf]:
    """Every leaf part in order; message/* parts are leaves (kept whole as attachments).
    Iterative, so deep nesting cannot overflow the stack."""
    found: list[_Leaf] = []
    stack: list[tuple[Message, bool]] = [(message, False)]
    while stack:
        part, in_alternative = stack.pop()
        content_type = part.get_content_type()
        maintype, _, subtype = content_type.partition("/")
        if part.is_multipart() and maintype != "message":
            alternative = in_alternative or subtype == "alternative"
            stack.extend((sub, alternative) for sub in reversed(part.get_payload()))
            continue
        if maintype == "multipart":
            content_type = "text/plain"
        found.append(_Leaf(part, content_type, in_alternative, _is_attachment(part)))
    return found


def _describe(defect: Exception) -> str:
    text = str(defect) or (type(defect).__doc__ or type(defect).__name__).strip()
    return text.rstrip(".")


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
