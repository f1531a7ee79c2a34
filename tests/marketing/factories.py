"""Factories for campaigns and their audiences, made through the services."""

from __future__ import annotations

from typing import Any

import factory

from tests.core.factories import ServiceFactory, as_user
from vinculo.core.models import User
from vinculo.customers import services as customer_services
from vinculo.customers.models import Contact
from vinculo.marketing import services
from vinculo.marketing.models import Campaign, CampaignVariant
from vinculo.segments import services as segment_services
from vinculo.segments.models import Segment, SegmentKind


class CampaignFactory(ServiceFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaña {n}")

    @classmethod
    def service(cls, actor: User, **data: Any) -> Campaign:
        return services.campaign_create(actor=actor, data=data)


class VariantFactory(ServiceFactory):
    class Meta:
        model = CampaignVariant

    name = factory.Sequence(lambda n: f"V{n}")
    subject = "Hola {{ contact.first_name }}"
    body = "Mira https://tienda.example.es/ofertas"
    share = 50

    @classmethod
    def service(cls, actor: User, campaign: Campaign, **data: Any) -> CampaignVariant:
        return services.campaign_variant_create(actor=actor, campaign=campaign, data=data)


def contacts(admin: User, count: int, *, consent: bool = True, prefix: str = "c",
             email: bool = True) -> list[Contact]:
    """``count`` contacts, with (or without) consent to e-mail."""
    made = []
    with as_user(admin):
        for n in range(count):
            made.append(customer_services.contact_create(
                actor=admin,
                data={"first_name": f"Nombre{n}", "last_name": prefix,
                      "email": f"{prefix}{n}@example.es" if email else ""},
                consents=[{"channel": "email", "granted": True}] if consent else []))
    return made


def segment_of(admin: User, members: list[Contact], name: str = "Lista") -> Segment:
    with as_user(admin):
        segment = segment_services.segment_create(actor=admin, name=name,
                                                  kind=SegmentKind.STATIC)
        segment_services.segment_members_add(actor=admin, segment=segment, records=members)
    return segment


def ready_campaign(admin: User, members: list[Contact], **data: Any) -> Campaign:
    """A draft e-mail campaign to a static list of ``members``, with one variant A (100 %)."""
    segment = segment_of(admin, members, name=data.pop("segment_name", "Lista"))
    campaign = CampaignFactory(actor=admin, segment=segment, **data)
    with as_user(admin):
        variant = campaign.variants.get()
        services.campaign_variant_update(
            actor=admin, variant=variant, expected_version=variant.version,
            data={"subject": "Hola {{ contact.first_name }}",
                  "body": "Hola {{ contact.first_name }}, mira https://tienda.example.es/o?a=1."})
    return campaign
