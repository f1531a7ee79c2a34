"""Background tasks of marketing: thin wrappers over the senders."""

from __future__ import annotations

from django_tasks import task


@task()
def campaign_send(campaign_pk: int) -> str:
    """Send a campaign's e-mail in batches (``marketing.sending``); resumable, exactly once."""
    from vinculo.marketing import sending

    return sending.campaign_send(campaign_pk)
