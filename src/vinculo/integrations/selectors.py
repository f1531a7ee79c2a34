"""Reads of the integrations app."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from vinculo.integrations.models import (
    DeliveryStatus,
    IntegrationKey,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


def subscriptions() -> QuerySet[WebhookSubscription]:
    """The organisation's subscriptions (in scope) with their pending and failed counts."""
    return WebhookSubscription.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    ).order_by("name", "id")


def deliveries(subscription: WebhookSubscription | None = None,
               status: str | None = None) -> QuerySet[WebhookDelivery]:
    """Deliveries, newest first, each with its attempts (newest first)."""
    rows = WebhookDelivery.objects.select_related("subscription").prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("-id")))
    if subscription is not None:
        rows = rows.filter(subscription=subscription)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-id")


def keys() -> QuerySet[IntegrationKey]:
    return IntegrationKey.objects.select_related("created_by").order_by("name", "id")
