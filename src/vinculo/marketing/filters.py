"""Filtersets of campaigns: the same filters on the list page and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from vinculo.core.tenancy import scopes_disabled
from vinculo.marketing.models import (
    SENDING_ANY_CHANNEL,
    Campaign,
    CampaignStatus,
    CampaignVariant,
)

#: The status filter spans every channel: "sending" is also a call list being worked.
STATUS_CHOICES = [(value, SENDING_ANY_CHANNEL if value == CampaignStatus.SENDING else label)
                  for value, label in CampaignStatus.choices]

# django-filter inspects the default manager while building the classes; no rows are read.
with scopes_disabled():

    class CampaignFilterSet(django_filters.FilterSet):
        q = django_filters.CharFilter(field_name="name", lookup_expr="icontains",
                                      label=_("Search"))
        segment = django_filters.UUIDFilter(field_name="segment__uuid", label=_("Segment"))
        status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, label=_("Status"))

        class Meta:
            model = Campaign
            fields = ["q", "status", "channel", "segment"]

    class CampaignVariantFilterSet(django_filters.FilterSet):
        campaign = django_filters.UUIDFilter(field_name="campaign__uuid", label=_("Campaign"))

        class Meta:
            model = CampaignVariant
            fields = ["campaign"]
