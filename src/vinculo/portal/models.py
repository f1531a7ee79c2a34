"""Portal users (contacts of an account who sign in at /portal/), their invitations and what
they did there (docs/architecture.md, "Customer portal").

A portal user is not a ``core.User``: staff authentication never sees them, so no staff page
or API can take one for a colleague. What they do goes through the same services as staff,
acting as the portal user's own inactive service account (``actor``), so the audit log names
them.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.core.models import TenantModel


class PortalRole(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    PAYABLE = "payable", _("Accounts payable")
    TECHNICAL = "technical", _("Technical")
    # A contact of a supplier account: sees only the supply plan (portal/supplier_*.py).
    SUPPLIER = "supplier", _("Supplier")


class PortalUser(TenantModel):
    """A contact of an account with a password for the portal and a portal role."""

    account = models.ForeignKey("customers.Account", verbose_name=_("account"),
                                on_delete=models.PROTECT, related_name="+")
    # A deleted contact takes their portal access with them.
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"),
                                on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("portal role"), max_length=10, choices=PortalRole.choices)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES,
                                blank=True)
    password = models.CharField(max_length=128, blank=True)  # empty until the invitation
    is_active = models.BooleanField(_("active"), default=False)
    last_login_at = models.DateTimeField(_("last sign-in"), null=True, blank=True,
                                         editable=False)
    # The inactive staff user the portal acts as in services: the audit log's label.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+", editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+", editable=False)

    audit_exclude = (*TenantModel.audit_exclude, "last_login_at")
    audit_secret = ("password",)
    # Staff see an account's portal users where they may see the account.
    owner_field = ("account__owner",)
    team_field = ("account__team",)

    class Meta:
        ordering = ["email", "id"]
        verbose_name = _("portal user")
        verbose_name_plural = _("portal users")
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"],
                                    name="portaluser_unique_email"),
        ]
        indexes = [models.Index(fields=["organization", "account"], name="portaluser_account"),
                   models.Index(fields=["email"], name="portaluser_email")]

    def __str__(self) -> str:
        return self.email

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)


class PortalInvitation(TenantModel):
    """A one-time link to set a portal password; only a SHA-256 of its token is kept."""

    portal_user = models.ForeignKey(PortalUser, on_delete=models.CASCADE,
                                    related_name="invitations")
    token_hash = models.CharField(max_length=64, db_index=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    audited = False

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("portal invitation")

    def __str__(self) -> str:
        return str(self.portal_user)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def pending(self) -> bool:
        return (self.accepted_at is None and self.revoked_at is None
                and self.expires_at > timezone.now())


class PortalAction(models.TextChoices):
    SIGNED_IN = "signed_in", _("Signed in")
    SIGNED_IN_LINK = "signed_in_link", _("Signed in with an e-mailed link")
    INVITED = "invited", _("Invited")
    JOINED = "joined", _("Set their password")
    QUOTE_ACCEPTED = "quote_accepted", _("Accepted a quote")
    QUOTE_REJECTED = "quote_rejected", _("Rejected a quote")
    INVOICE_DOWNLOADED = "invoice_pdf", _("Downloaded an invoice")
    TICKET_OPENED = "ticket_opened", _("Opened a ticket")
    TICKET_REPLIED = "ticket_replied", _("Replied on a ticket")
    SURVEY_ANSWERED = "survey", _("Answered a survey")
    RETURN_REQUESTED = "return", _("Requested a return")
    PROFILE_CHANGED = "profile", _("Changed their details")
    CONSENT_CHANGED = "consent", _("Changed a consent")
    DATA_EXPORTED = "data_export", _("Downloaded their personal data")
    ERASURE_REQUESTED = "erasure", _("Asked to be forgotten")
    SUPPLY_PLANNED = "supply_plan", _("Confirmed a supply plan")


class PortalActivity(TenantModel):
    """What a portal user did, for staff on the account's page. Append-only: it is the log."""

    portal_user = models.ForeignKey(PortalUser, on_delete=models.CASCADE,
                                    related_name="activities")
    action = models.CharField(max_length=15, choices=PortalAction.choices)
    # The document's number or the ticket's, in words: no id leaves the server.
    subject = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True)

    audited = False

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("portal activity")
        indexes = [models.Index(fields=["organization", "portal_user", "-created_at"],
                                name="portalactivity_user")]

    def __str__(self) -> str:
        return f"{self.portal_user}: {self.action}"


from vinculo.portal.supplier_models import SupplierPlan  # noqa: E402,F401  (registers the model)
