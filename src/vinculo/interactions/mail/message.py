"""What parsing a message yields (`ParsedMessage`, `ParsedAttachment`), the refusal
(`MessageRejected`) and the limits (no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.parser import BytesParser

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

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
