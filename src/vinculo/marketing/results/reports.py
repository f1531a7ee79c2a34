"""Reading the reports that come back by e-mail, with no Django import: delivery status
notifications (RFC 3464 ``multipart/report; report-type=delivery-status``) and complaint
feedback reports (RFC 5965 ARF, ``report-type=feedback-report``).

Both carry the original message (``message/rfc822``) or its headers
(``text/rfc822-headers``); its Message-ID names the campaign recipient
(``identifiers.token_from_message_id``).
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

from vinculo.marketing.identifiers import token_from_message_id

_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")
_HEAD = 16_384  # a report says so in its first headers


@dataclass(frozen=True)
class Report:
    """What one report says about one campaign message."""

    kind: str  # "bounce", "delivered" or "complaint"
    token: str
    bounce: str = ""  # "hard" (5.x.x) or "soft" (4.x.x) for a bounce
    status: str = ""  # the DSN's Status, "5.1.1"
    recipient: str = ""  # Final-Recipient's address
    detail: str = ""  # Diagnostic-Code or Feedback-Type, for people


def looks_like_report(raw: bytes) -> bool:
    """A cheap test on the top of the message, so ordinary mail is not parsed twice."""
    return b"multipart/report" in raw[:_HEAD].lower()


def _original_token(report: Message) -> str | None:
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            if isinstance(inner, Message):
                token = token_from_message_id(str(inner.get("Message-ID", "")))
                if token:
                    return token
        elif kind == "text/rfc822-headers":
            headers = email.message_from_bytes(_bytes(part), policy=email.policy.compat32)
            token = token_from_message_id(str(headers.get("Message-ID", "")))
            if token:
                return token
    return None


def _bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _address(value: str) -> str:
    """``rfc822; ana@example.es`` → ``ana@example.es``."""
    return value.split(";", 1)[-1].strip().strip("<>").lower()


def _blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    return [email.message_from_bytes(chunk, policy=email.policy.compat32)
            for chunk in re.split(rb"\r?\n\r?\n", _bytes(part)) if chunk.strip()]


def _delivery(part: Message, token: str) -> Report | None:
    """The first recipient block of a delivery-status part."""
    for block in _blocks(part)[1:] or _blocks(part):
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip()
        if not action and not status:
            continue
        recipient = _address(str(block.get("Final-Recipient", "")
                                 or block.get("Original-Recipient", "")))
        detail = " ".join(str(block.get("Diagnostic-Code", "")).split())[:500]
        match = _STATUS.match(status)
        if action in ("delivered", "relayed", "expanded") or (match and match[1] == "2"):
            return Report("delivered", token, status=status, recipient=recipient)
        if action == "failed" or (match and match[1] == "5"):
            kind = "soft" if match and match[1] == "4" else "hard"
        elif action == "delayed" or (match and match[1] == "4"):
            kind = "soft"
        else:
            continue
        return Report("bounce", token, bounce=kind, status=status, recipient=recipient,
                      detail=detail)
    return None


def read(raw: bytes) -> Report | None:
    """The report ``raw`` is about a campaign message, or None (not a report, or not ours)."""
    if not looks_like_report(raw):
        return None
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    token = _original_token(message)
    if token is None:
        return None
    param = message.get_param("report-type")
    report_type = param.lower() if isinstance(param, str) else ""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status" and report_type in ("", "delivery-status"):
            return _delivery(part, token)
        if kind == "message/feedback-report":
            fields = _blocks(part)
            first = fields[0] if fields else Message()
            feedback = str(first.get("Feedback-Type", "abuse")).strip().lower()
            recipient = _address(str(first.get("Original-Rcpt-To", "")))
            return Report("complaint", token, recipient=recipient,
                          detail=feedback[:100])
    return None
