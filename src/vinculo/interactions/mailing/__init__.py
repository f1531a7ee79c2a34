"""E-mail in and out, by concern: ``outbound`` (templates, sending, delivery), ``inbound``
(receiving, threading, rejects) and ``mailboxes`` (settings, token, connection test, IMAP
poll). ``from vinculo.interactions import mailing`` keeps working: the public names are
re-exported here.
"""

from vinculo.interactions.mailing.inbound import (
    Received,
    email_receive,
)
from vinculo.interactions.mailing.mailboxes import (
    CHECK_TIMEOUT,
    IMAP_PROBLEMS,
    MAILBOX_FIELDS,
    ConnectionCheck,
    PollResult,
    imap_settings,
    mailbox_check,
    mailbox_create,
    mailbox_for_token,
    mailbox_poll,
    mailbox_token_rotate,
    mailbox_update,
    poll_all,
)
from vinculo.interactions.mailing.outbound import (
    MAX_ATTEMPTS,
    RETRY_MINUTES,
    OutgoingFile,
    default_mailbox,
    email_deliver,
    email_send,
    email_template_create,
    email_template_update,
    email_write,
)

__all__ = [
    "CHECK_TIMEOUT",
    "IMAP_PROBLEMS",
    "MAILBOX_FIELDS",
    "MAX_ATTEMPTS",
    "RETRY_MINUTES",
    "ConnectionCheck",
    "OutgoingFile",
    "PollResult",
    "Received",
    "default_mailbox",
    "email_deliver",
    "email_receive",
    "email_send",
    "email_template_create",
    "email_template_update",
    "email_write",
    "imap_settings",
    "mailbox_check",
    "mailbox_create",
    "mailbox_for_token",
    "mailbox_poll",
    "mailbox_token_rotate",
    "mailbox_update",
    "poll_all",
]
