"""REST API of campaigns and their A/B variants: validate, call a service, answer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer, TenantViewSet
from vinculo.core.models import User
from vinculo.marketing import selectors, services
from vinculo.marketing.filters import CampaignFilterSet, CampaignVariantFilterSet
from vinculo.marketing.models import Campaign, CampaignVariant

READ_ONLY = ("id", "status", "started_at", "finished_at", "created_at", "updated_at")


class CampaignSerializer(ServiceSerializer):
    segment = ScopedRelatedField("segments.Segment", required=False, allow_null=True,
                                 help_text="The segment the campaign goes to (its UUID).")
    owner = ScopedRelatedField(User, required=False, allow_null=True)
    create_service = staticmethod(services.campaign_create)
    update_service = staticmethod(services.campaign_update)
    instance_kwarg = "campaign"

    class Meta:
        model = Campaign
        fields = ("id", "version", *services.CAMPAIGN_FIELDS, "status", "started_at",
                  "finished_at", "created_at", "updated_at")
        read_only_fields = READ_ONLY
        extra_kwargs = {
            "currency": {"required": False, "help_text": "ISO 4217, e.g. EUR."},
            "control_share": {"help_text": "Percent of the contactable members held out "
                                           "(0–90)."},
            "messages_per_minute": {"help_text": "E-mail throttle; 0 for no limit."},
        }


class CampaignVariantSerializer(ServiceSerializer):
    campaign = ScopedRelatedField(Campaign, help_text="The campaign (its UUID).")
    create_service = staticmethod(services.campaign_variant_create)
    update_service = staticmethod(services.campaign_variant_update)
    instance_kwarg = "variant"

    class Meta:
        model = CampaignVariant
        fields = ("id", "version", "campaign", *services.VARIANT_FIELDS, "created_at",
                  "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")
        extra_kwargs = {
            "subject": {"help_text": "Merge fields allowed, e.g. {{ contact.first_name }}."},
            "share": {"help_text": "Percent of the contacted recipients; the variants of a "
                                   "campaign add up to 100."},
        }

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        campaign = validated_data.pop("campaign", None)
        if self.instance is None:
            return {"campaign": campaign, "data": validated_data}
        if campaign is not None and campaign != self.instance.campaign:
            raise serializers.ValidationError(
                {"campaign": ["A variant cannot move to another campaign."]})
        return {"data": validated_data}


class StartSerializer(serializers.Serializer):
    recipients = serializers.IntegerField(help_text="Members the segment reached.")
    control = serializers.IntegerField(help_text="Held out in the control group.")
    pending = serializers.IntegerField(help_text="To contact.")
    skipped = serializers.IntegerField(help_text="Not contactable (consent, address, "
                                                 "suppression).")


class ProgressSerializer(serializers.Serializer):
    control = serializers.IntegerField()
    pending = serializers.IntegerField()
    sending = serializers.IntegerField()
    sent = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="Sent or failed, of those to send.")
    cost = serializers.DecimalField(max_digits=16, decimal_places=2,
                                    help_text="Fixed cost + cost per message × sent.")


class CampaignViewSet(TenantViewSet):
    queryset = Campaign.objects.none()
    serializer_class = CampaignSerializer
    permission_domain = "marketing"
    filter_backends = [DjangoFilterBackend]
    filterset_class = CampaignFilterSet
    delete_service = staticmethod(services.campaign_delete)
    instance_kwarg = "campaign"
    action_permissions = {"start": "marketing.send", "finish": "marketing.send",
                          "progress": "marketing.view"}

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("segment", "owner").order_by(
            "-created_at", "-id")

    @extend_schema(request=None, responses=StartSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, uuid: str | None = None) -> Response:
        """Build the recipients (control group, variants, consent) and start sending."""
        result = services.campaign_start(campaign=self.get_object(), actor=request.user)
        return Response(StartSerializer(vars(result)).data)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, uuid: str | None = None) -> Response:
        """Close the campaign: what was not sent yet is not sent."""
        campaign = services.campaign_finish(campaign=self.get_object(), actor=request.user)
        return Response(CampaignSerializer(campaign, context={"request": request}).data)

    @extend_schema(responses=ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, uuid: str | None = None) -> Response:
        """The recipients by status, the responses so far and the cost to date."""
        progress = selectors.campaign_progress(self.get_object())
        return Response(ProgressSerializer({**vars(progress), "percent": progress.percent})
                        .data)


class CampaignVariantViewSet(TenantViewSet):
    queryset = CampaignVariant.objects.none()
    serializer_class = CampaignVariantSerializer
    permission_domain = "marketing"
    filter_backends = [DjangoFilterBackend]
    filterset_class = CampaignVariantFilterSet
    delete_service = staticmethod(services.campaign_variant_delete)
    instance_kwarg = "variant"
    # Adding or removing a variant changes its campaign's message: marketing.change.
    action_permissions = {"create": "marketing.change", "destroy": "marketing.change"}

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("campaign").order_by("campaign", "name")
