"""Writes of the integrations app: webhook subscriptions (and replays) and integration keys.

Every function checks the actor's permission and runs in one transaction; the deliveries
themselves are written and sent by ``delivery.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import crypto, events, plugins
from vinculo.core.models import SERVICE_ACCOUNT_DOMAIN, User
from vinculo.core.roles import Role
from vinculo.core.services import org_id, organization_of, require, versioned_save
from vinculo.integrations import targets
from vinculo.integrations.models import (
    DeliveryStatus,
    IntegrationKey,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)

MANAGE = "integrations.manage"
#: Domains a key may never be scoped to: the organisation's people, its audit log, and keys
#: and webhooks themselves (a key cannot make itself a stronger key).
UNSCOPED_DOMAINS = frozenset({"core", "audit", "integrations"})
SCOPE_LEVELS = ("read", "write")
PING = "webhook.ping"


def event_names() -> list[str]:
    """The events a subscription may choose: every event the apps declare."""
    return sorted(events.declared())


def scope_domains() -> list[str]:
    """The permission domains a key may be scoped to (``customers``, ``sales``, …)."""
    return sorted({name.split(".", 1)[0] for name in plugins.permissions()}
                  - UNSCOPED_DOMAINS)


# ---- webhook subscriptions --------------------------------------------------------------------


def _clean_subscription(data: dict[str, Any]) -> dict[str, Any]:
    """The subscription's fields, every bad one named at once."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if "name" in data:
        clean["name"] = " ".join(str(data["name"] or "").split())[:100]
        if not clean["name"]:
            errors["name"] = _("Give the subscription a name.")
    if "url" in data:
        clean["url"] = str(data["url"] or "").strip()
        try:
            targets.check_url(clean["url"])
        except targets.RefusedTarget as exc:
            errors["url"] = str(exc)
    if "events" in data:
        chosen = list(dict.fromkeys(data["events"] or []))
        unknown = [name for name in chosen if name not in events.declared()]
        if unknown:
            errors["events"] = _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}
        elif not chosen:
            errors["events"] = _("Choose at least one event.")
        clean["events"] = sorted(chosen)
    if errors:
        raise ValidationError(errors)
    return clean


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def subscription_create(*, actor: User, data: dict[str, Any]
                        ) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL to events; returns the subscription and its secret (shown once)."""
    require(actor, MANAGE)
    clean = _clean_subscription({"name": data.get("name"), "url": data.get("url"),
                                 "events": data.get("events")})
    secret = _new_secret()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            organization=organization_of(actor), secret=crypto.encrypt(secret), **clean)
    return subscription, secret


def subscription_update(*, actor: User, subscription: WebhookSubscription,
                        data: dict[str, Any], expected_version: int | None
                        ) -> WebhookSubscription:
    """Change the name, URL or events (the secret by :func:`subscription_rotate_secret`)."""
    require(actor, MANAGE)
    clean = _clean_subscription({k: v for k, v in data.items()
                                 if k in ("name", "url", "events")})
    with transaction.atomic():
        for name, value in clean.items():
            setattr(subscription, name, value)
        return versioned_save(subscription, expected_version=expected_version,
                              fields=list(clean))


def subscription_rotate_secret(*, actor: User, subscription: WebhookSubscription
                               ) -> tuple[WebhookSubscription, str]:
    """A new secret (shown once); deliveries from now on are signed with it."""
    require(actor, MANAGE)
    secret = _new_secret()
    with transaction.atomic():
        subscription.secret = crypto.encrypt(secret)
        versioned_save(subscription, expected_version=None, fields=["secret"])
    return subscription, secret


def subscription_delete(*, actor: User, subscription: WebhookSubscription) -> None:
    """Remove the subscription with its delivery log."""
    require(actor, MANAGE)
    with transaction.atomic():
        subscription.delete()


def subscription_resume(*, actor: User, subscription: WebhookSubscription
                        ) -> WebhookSubscription:
    """Send again after a pause: what waited is delivered, oldest first."""
    from vinculo.integrations import delivery

    require(actor, MANAGE)
    with transaction.atomic():
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.consecutive_failures = 0
        subscription.paused_at = None
        versioned_save(subscription, expected_version=None,
                       fields=["status", "consecutive_failures", "paused_at"])
        WebhookDelivery.all_objects.filter(
            subscription=subscription, status=DeliveryStatus.PENDING
        ).update(next_attempt_at=timezone.now())
        delivery.drain_on_commit(subscription.pk)
    return subscription


def subscription_pause(*, actor: User, subscription: WebhookSubscription
                       ) -> WebhookSubscription:
    """Stop sending; events keep being recorded and go out on resume."""
    require(actor, MANAGE)
    with transaction.atomic():
        subscription.status = SubscriptionStatus.PAUSED
        subscription.paused_at = timezone.now()
        versioned_save(subscription, expected_version=None, fields=["status", "paused_at"])
    return subscription


def subscription_ping(*, actor: User, subscription: WebhookSubscription) -> WebhookDelivery:
    """A test delivery (``webhook.ping``) to the subscription alone, to check the receiver."""
    from vinculo.integrations import delivery

    require(actor, MANAGE)
    event_id = uuid.uuid4()
    body = json.dumps({
        "id": str(event_id), "event": PING, "occurred_at": timezone.now().isoformat(),
        "record": {"type": "integrations.webhooksubscription",
                   "uuid": str(subscription.uuid)},
        "data": {"name": subscription.name},
    }, cls=DjangoJSONEncoder)
    with transaction.atomic():
        row = WebhookDelivery.objects.create(
            organization_id=subscription.organization_id, subscription=subscription,
            event_id=event_id, event=PING, body=body,
            record_key=f"integrations.webhooksubscription:{subscription.uuid}")
        delivery.drain_on_commit(subscription.pk)
    return row


def delivery_replay(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, by hand: the same body and event id (receivers de-duplicate by
    it), a fresh signature. Its earlier attempts stay in the log."""
    from vinculo.integrations import delivery as sending

    require(actor, MANAGE)
    with transaction.atomic():
        WebhookDelivery.all_objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), delivered_at=None)
        sending.drain_on_commit(delivery.subscription_id)
    delivery.refresh_from_db()
    return delivery


# ---- integration keys -------------------------------------------------------------------------


def _clean_key(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = " ".join(str(data.get("name") or "").split())[:100]
    if not name:
        errors["name"] = _("Give the key a name.")
    scopes = data.get("scopes") or {}
    allowed = scope_domains()
    if not isinstance(scopes, dict) or not scopes:
        errors["scopes"] = _("Give the key at least one scope.")
    else:
        bad = [f"{k}={v}" for k, v in scopes.items() if k not in allowed or v not in SCOPE_LEVELS]
        if bad:
            errors["scopes"] = _("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(bad)}
    expires_at = data.get("expires_at")
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = _("The expiry must be in the future.")
    if errors:
        raise ValidationError(errors)
    return {"name": name, "scopes": dict(sorted(scopes.items())), "expires_at": expires_at}


def integration_key_create(*, actor: User, data: dict[str, Any]
                           ) -> tuple[IntegrationKey, str]:
    """A key of the organisation with its scopes; returns it with the clear key, shown once
    and never stored. The key acts through an inactive service account named for it, so the
    audit log attributes its changes to the key."""
    require(actor, MANAGE)
    clean = _clean_key(data)
    clear = IntegrationKey.generate_key()
    prefix = clear[:11]
    with transaction.atomic():
        user = User(email=f"key-{uuid.uuid4().hex}@{SERVICE_ACCOUNT_DOMAIN}",
                    organization_id=org_id(actor), role=Role.ADMIN, is_active=False,
                    first_name=_("Integration key")[:150],
                    last_name=f"«{clean['name']}» ({prefix}…)"[:150])
        user.set_unusable_password()
        user.save()
        key = IntegrationKey.objects.create(
            organization_id=org_id(actor), user=user, prefix=prefix,
            key_hash=IntegrationKey.hash_key(clear), created_by=actor, **clean)
    return key, clear


def integration_key_revoke(*, actor: User, key: IntegrationKey) -> IntegrationKey:
    """Stop the key at once; it answers 401 from now on."""
    require(actor, MANAGE)
    if key.revoked_at is None:
        with transaction.atomic():
            key.revoked_at = timezone.now()
            versioned_save(key, expected_version=None, fields=["revoked_at"])
    return key


def integration_key_touch(key: IntegrationKey, now: dt.datetime | None = None) -> None:
    """Record a use of the key (at most once a minute: a busy integration writes little)."""
    now = now or timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        IntegrationKey.all_objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def webhook_send(*, actor: User, subscription: WebhookSubscription, event: str, record: Any,
                 data: dict[str, Any]) -> WebhookDelivery:
    """A one-off delivery to one subscription (an exception rule's "call a webhook"), through
    the same outbox as the events: signed per attempt, retried, in order with the record's
    other deliveries, whatever events the subscription listens to. Refused on
    ``subscription`` when it is paused or inactive."""
    from vinculo.integrations import delivery

    require(actor, MANAGE)
    if subscription.organization_id != actor.organization_id:
        raise ValidationError({"subscription": _("Not found.")})
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise ValidationError({"subscription": _("The subscription is paused; resume it "
                                                 "first.")})
    event_id = uuid.uuid4()
    key = f"{record._meta.label_lower}:{record.uuid}"
    body = json.dumps({
        "id": str(event_id), "event": event, "occurred_at": timezone.now().isoformat(),
        "record": {"type": record._meta.label_lower, "uuid": str(record.uuid)},
        "data": data,
    }, cls=DjangoJSONEncoder)
    with transaction.atomic():
        row = WebhookDelivery.objects.create(
            organization_id=subscription.organization_id, subscription=subscription,
            event_id=event_id, event=event, body=body, record_key=key)
        delivery.drain_on_commit(subscription.pk)
    return row
