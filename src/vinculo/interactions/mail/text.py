"""Text decoding of inbound mail: body charsets, encoded words in headers, storable strings
(valid Unicode, no NUL, no lone surrogates), with a fallback where the stdlib gives up
(no Django)."""

from __future__ import annotations

import base64
import binascii
import codecs
import re

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


def _describe(defect: Exception) -> str:
    text = str(defect) or (type(defect).__doc__ or type(defect).__name__).strip()
    return text.rstrip(".")
