"""Records for the non-e-mail channels and the next-best action tests.

Campaigns, variants and recipients are written directly (the ``campaigns`` branch owns their
services): what these tests need is a started campaign with its audience, as ``campaign_start``
leaves it. Snapshots are written as the analytics recompute writes them (rows of a finished
run)."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.analytics.models import AnalyticsRun, CustomerSnapshot, RunStatus
from vinculo.core.models import User
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account, Contact
from vinculo.customers.services import contact_create
from vinculo.marketing.identifiers import new_token
from vinculo.marketing.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    RecipientStatus,
)


def campaign(admin: User, *, channel: str, subject: str = "", body: str = "",
             status: str = CampaignStatus.SENDING, **fields: Any) -> Campaign:
    with as_user(admin):
        row = Campaign(organization_id=admin.organization_id, name=fields.pop("name", "Otoño"),
                       channel=channel, owner=fields.pop("owner", admin), status=status,
                       started_at=timezone.now() if status != CampaignStatus.DRAFT else None,
                       **fields)
        row.save()
        CampaignVariant.objects.create(organization_id=admin.organization_id, campaign=row,
                                       name="A", subject=subject, body=body)
    return row


def customer(admin: User, *, owner: User | None = None, consents: tuple[str, ...] = (),
             address: bool = True, name: str = "", first_name: str = "Lucía",
             **account: Any) -> tuple[Account, Contact]:
    """An account of ``owner`` (None: nobody's) with a billing address unless
    ``address=False``, and its primary contact, who consented to ``consents``."""
    data = dict(account)
    if name:
        data["name"] = name
    if address:
        data.update(billing_street="Calle Mayor 5", billing_postal_code="28013",
                    billing_city="Madrid", billing_country="ES")
    data["owner"] = owner  # None: an account nobody owns
    if owner is not None:
        data["team"] = owner.team
    acc = AccountFactory(actor=admin, **data)
    with as_user(admin):
        contact = contact_create(actor=admin, data={
            "first_name": first_name, "last_name": "Pérez",
            "email": f"contacto{acc.pk}@example.es"},
            accounts=[{"account": acc, "role": "", "is_primary": True}],
            consents=[{"channel": c, "granted": True} for c in consents])
    return acc, contact


def recipient(camp: Campaign, contact: Contact, account: Account | None = None,
              status: str = RecipientStatus.PENDING) -> CampaignRecipient:
    with organization_scope(camp.organization_id):
        return CampaignRecipient.objects.create(
            organization_id=camp.organization_id, campaign=camp, contact=contact,
            account=account, token=new_token(), status=status, email=contact.email,
            variant=camp.variants.first())


def snapshot(account: Account, as_of: dt.date, **fields: Any) -> CustomerSnapshot:
    """One account's snapshot on ``as_of`` (the finished run of that date is made too)."""
    AnalyticsRun.all_objects.get_or_create(organization_id=account.organization_id,
                                           as_of=as_of, defaults={"status": RunStatus.DONE})
    values: dict[str, Any] = {
        "first_purchase": as_of - dt.timedelta(days=400), "last_purchase": as_of,
        "recency_days": 0, "frequency": 1, "monetary": Decimal("100"), "T": 400,
        "r_score": 3, "f_score": 3, "m_score": 3, "rfm_segment": "Loyal", "p_alive": 0.9,
        "expected_purchases": 1.0, "expected_spend": Decimal("100"), "clv": Decimal("1000"),
        "revenue": Decimal("1000"), "cost_of_goods": Decimal("500"),
        "cost_to_serve": Decimal("50"), "profit": Decimal("450"), "profit_segment": "High",
        "value_tier": "Iron"}
    values.update(fields)
    return CustomerSnapshot.all_objects.create(organization_id=account.organization_id,
                                               account=account, as_of=as_of, **values)


def pdf_text(data: bytes) -> tuple[int, str]:
    """Pages and the text drawn (its ASCII literal strings) of a ReportLab PDF."""
    import base64
    import re
    import zlib

    pages = len(re.findall(rb"/Type /Page\b", data))
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        with contextlib.suppress(ValueError, zlib.error):
            stream = zlib.decompress(base64.a85decode(stream.strip(), adobe=True))
        text += [m.decode("latin-1") for m in re.findall(rb"\(((?:[^()\\]|\\.)*)\) Tj", stream)]
    return pages, " ".join(text)
