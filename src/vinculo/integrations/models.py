"""Webhook subscriptions, their deliveries and attempts, and the organisation's integration
keys (docs/architecture.md, "Integrations: webhooks and keys")."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import BODY_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")


class WebhookSubscription(TenantModel):
    """A URL told of the chosen domain events, each delivery signed with ``secret``."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=500)  # Fernet ciphertext (core.crypto)
    status = models.CharField(_("status"), max_length=10, choices=SubscriptionStatus.choices,
                              default=SubscriptionStatus.ACTIVE)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    # A drain holds the subscription until then, so deliveries go out one at a time, in order.
    lease_until = models.DateTimeField(null=True, blank=True)

    audit_exclude = (*TenantModel.audit_exclude, "lease_until", "consecutive_failures")
    audit_secret = ("secret",)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def listens_to(self, event: str) -> bool:
        return event in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(TenantModel):
    """One event for one subscription: the body is fixed when the event happens (the same
    bytes on every attempt), the signature is made per attempt."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE,
                                     related_name="deliveries")
    event_id = models.UUIDField(_("event id"))
    event = models.CharField(_("event"), max_length=100)
    # "<app.model>:<uuid>" of the record: deliveries of one record go out in order.
    record_key = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)

    audited = False  # a log, not business data; the attempts are its history

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["subscription", "status", "id"]),
                   models.Index(fields=["status", "next_attempt_at"]),
                   # what holds a record's later deliveries back: its pending ones waiting
                   # for a retry (delivery._sendable, NOT EXISTS per record)
                   models.Index(fields=["subscription", "record_key", "next_attempt_at", "id"],
                                condition=models.Q(status=DeliveryStatus.PENDING),
                                name="webhook_pending_per_record")]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"


class WebhookAttempt(TenantModel):
    """One POST of a delivery: what the receiver answered, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True)
    error = models.TextField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True)

    audited = False

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook attempt")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error[:40]}"


class IntegrationKey(TenantModel):
    """An API key of the organisation (not of a person) with scopes per domain.

    Only a SHA-256 of the key is stored; the key is shown once. ``user`` is the inactive
    service account that stands for the key, so services get an ``actor`` and the audit log
    names the key (``core.models.SERVICE_ACCOUNT_DOMAIN``)."""

    PREFIX = "vk_"

    name = models.CharField(_("name"), max_length=100)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="integration_key")
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    # {"customers": "read" | "write", …}
    scopes = models.JSONField(_("scopes"), default=dict)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name=_("created by"))

    audit_exclude = (*TenantModel.audit_exclude, "last_used_at", "key_hash")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("integration key")
        verbose_name_plural = _("integration keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now())

    def permits(self, permission: str | None, method: str) -> bool:
        """The key's scope (``core.permissions.credential_permits``): reads need ``read`` or
        ``write`` on the permission's domain, anything else ``write``. Endpoints without a
        domain (a person's own tokens) are not for keys."""
        if permission is None:
            return False
        granted = self.scopes.get(permission.split(".", 1)[0])
        if method in ("GET", "HEAD", "OPTIONS"):
            return granted in ("read", "write")
        return granted == "write"
