"""Extension points of the interactions app, filled by other apps through their contracts
(``Contract.extensions``), so that interactions imports nothing above it.

- ``EMAIL_ROUTERS``: ``router(organization, mailbox, parsed, contact, account)`` may return the
  record a new inbound e-mail (one that threads onto nothing) belongs to — the service desk
  routes ``[#TK-…]`` subjects to their ticket and a queue's mailbox to a new ticket.
- ``INBOUND_FILTERS``: ``filter(organization, mailbox, parsed, raw)`` may take an inbound
  message that is not the customer's e-mail (a bounce report about a campaign message) and
  return a note saying what it did; the message is then not stored on a thread.
- ``WEB_FORM_HANDLERS``: what a public web form of a kind creates (request and complaint forms
  open tickets).
- ``MERGE_FIELDS``: ``{{ name.field }}`` offered in e-mail templates.

Whoever must know that an interaction was logged subscribes to ``interaction.logged``.
"""

from __future__ import annotations

from dataclasses import dataclass

EMAIL_ROUTERS = "interactions.email_routers"
INBOUND_FILTERS = "interactions.inbound_filters"
WEB_FORM_HANDLERS = "interactions.web_form_handlers"
MERGE_FIELDS = "interactions.merge_fields"


@dataclass(frozen=True)
class WebFormHandler:
    """``handler(form, data, contact)`` returns the record a submission of ``kind`` created."""

    kind: str
    handler: str  # dotted path


@dataclass(frozen=True)
class MergeFields:
    """``{{ name.<field> }}`` for each field; ``build(objects)`` returns the values (a dict)
    from the objects a message is about, or None when it is not about such a record."""

    name: str
    fields: tuple[str, ...]
    build: str  # dotted path
