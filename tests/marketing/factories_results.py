"""Factories of the results tests (branch "results"; the lead merges them into
tests/marketing/factories.py): a started campaign and its recipients written directly, as
``campaign_start`` writes them in bulk, and synthetic audiences for the statistics."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tests.core.factories import as_user
from vinculo.core.models import User
from vinculo.customers.models import Account, Contact, Lead
from vinculo.marketing.identifiers import new_token
from vinculo.marketing.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    RecipientStatus,
)
from vinculo.sales.models import Order


def campaign_make(actor: User, *, name: str = "Primavera", started: dt.datetime | None = None,
                  variants: tuple[str, ...] = ("A",), **fields: Any) -> Campaign:
    """A campaign that started ``started`` (two days ago by default), with its variants."""
    with as_user(actor):
        campaign = Campaign.objects.create(
            organization=actor.organization, name=name, owner=actor,
            status=CampaignStatus.SENT,
            started_at=started or timezone.now() - dt.timedelta(days=2), **fields)
        for variant in variants:
            CampaignVariant.objects.create(organization=actor.organization, campaign=campaign,
                                           name=variant, subject=f"Oferta {variant}",
                                           share=100 // len(variants))
    return campaign


def recipient_make(campaign: Campaign, contact: Contact, *, account: Account | None = None,
                   status: str = RecipientStatus.SENT, variant: str | None = "A",
                   sent_at: dt.datetime | None = None, **times: Any) -> CampaignRecipient:
    """One recipient; a sent one was sent when the campaign started unless ``sent_at``."""
    if status == RecipientStatus.SENT and sent_at is None:
        sent_at = campaign.started_at
    chosen = (CampaignVariant.all_objects.get(campaign=campaign, name=variant)
              if variant and status != RecipientStatus.CONTROL else None)
    return CampaignRecipient.objects.create(
        organization_id=campaign.organization_id, campaign=campaign, variant=chosen,
        contact=contact, account=account, token=new_token(), status=status,
        email=contact.email if status == RecipientStatus.SENT else "", sent_at=sent_at, **times)


def audience(actor: User, campaign: Campaign, *, treated: int, control: int,
             treated_rate: float, control_rate: float, treated_spend: float = 0,
             control_spend: float = 0, seed: int = 11) -> None:
    """A synthetic audience written in bulk: ``treated`` members sent to and ``control`` held
    out, each converting (an order the day after the start, of ``*_spend``, or a lead when the
    spend is 0) with its group's probability, drawn with a fixed seed."""
    rng = random.Random(seed)
    org = actor.organization
    size = treated + control
    with as_user(actor):
        base = Account.all_objects.count() + Contact.all_objects.count()
        accounts = Account.all_objects.bulk_create(
            [Account(organization=org, name=f"Cliente {base + i}") for i in range(size)])
        contacts = Contact.all_objects.bulk_create(
            [Contact(organization=org, first_name="Cliente", last_name=str(base + i),
                     full_name=f"Cliente {base + i}", email=f"c{base + i}@ejemplo.es")
             for i in range(size)])
        recipients, orders, leads = [], [], []
        day = timezone.localdate(campaign.started_at) + dt.timedelta(days=1)
        for i, (account, contact) in enumerate(zip(accounts, contacts, strict=True)):
            sent = i < treated
            recipients.append(CampaignRecipient(
                organization=org, campaign=campaign, contact=contact, account=account,
                token=new_token(),
                status=RecipientStatus.SENT if sent else RecipientStatus.CONTROL,
                email=contact.email if sent else "",
                sent_at=campaign.started_at if sent else None))
            if rng.random() < (treated_rate if sent else control_rate):
                spend = treated_spend if sent else control_spend
                if spend:
                    amount = Decimal(str(round(rng.uniform(0.5, 1.5) * spend, 2)))
                    orders.append(Order(organization=org, number=f"P-{base + i}",
                                        account=account, contact=contact, ordered_on=day,
                                        promised_date=day, net_amount=amount,
                                        total_amount=amount))
                else:
                    leads.append(Lead(organization=org, email=contact.email,
                                      full_name=contact.full_name,
                                      created_at=campaign.started_at + dt.timedelta(hours=5)))
        CampaignRecipient.objects.bulk_create(recipients)
        Order.all_objects.bulk_create(orders)
        Lead.all_objects.bulk_create(leads)
