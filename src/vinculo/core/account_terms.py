"""What a customer has been promised, read by the lower apps without importing the app that
decides it.

The service desk (the SLA tier of a new ticket), sales (the price list, the delivery lead
time, partial deliveries) and billing (the payment terms) ask ``terms_for(account)``. Apps above
them (``vinculo.packages``: the customer's service package) contribute a provider to the
extension point ``core.account_terms``: ``provider(account) -> AccountTerms | None``. The first
provider that answers wins; with none, every field is ``None`` and each caller keeps its own
default (the account's hand-set ``service_tier``, 30 days, a date typed by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vinculo.core import plugins

EXTENSION_POINT = "core.account_terms"


@dataclass(frozen=True)
class AccountTerms:
    """A customer's promised terms; ``None`` means "no promise: the caller's default"."""

    service_tier: str | None = None
    price_segment: str | None = None  # the segment key of a catalogue price list
    payment_terms_days: int | None = None
    lead_time_days: int | None = None
    partial_deliveries: bool | None = None
    source: str = ""  # what set them, in words (the package's name)


NONE = AccountTerms()


def terms_for(account: Any) -> AccountTerms:
    """The terms the first contributing provider gives ``account`` (``NONE`` without one)."""
    if account is None:
        return NONE
    for path in plugins.contributions(EXTENSION_POINT):
        found = plugins.resolve(path)(account)
        if found is not None:
            return found
    return NONE
