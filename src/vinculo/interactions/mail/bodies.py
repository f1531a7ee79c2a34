"""Bodies and attachments of inbound mail: the MIME leaves, text from HTML, sanitised HTML,
attachments within the size limit (no Django)."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from email import errors as email_errors
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.utils import collapse_rfc2231_value
from html import unescape
from html.parser import HTMLParser
from io import BytesIO

import nh3

from vinculo.interactions.mail.headers import _raw_header, normalise_message_id
from vinculo.interactions.mail.message import MB, ParsedAttachment
from vinculo.interactions.mail.text import (
    _lenient_b64decode,
    _storable,
    decode_bytes,
    decode_header_text,
)

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
