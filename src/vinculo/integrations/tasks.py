"""Background tasks of the integrations app: thin wrappers over ``delivery``."""

from __future__ import annotations

from django_tasks import task


@task()
def webhook_drain(subscription_id: int) -> int:
    """Send a subscription's due deliveries, in order (``delivery.subscription_drain``)."""
    from vinculo.integrations import delivery

    return delivery.subscription_drain(subscription_id)
