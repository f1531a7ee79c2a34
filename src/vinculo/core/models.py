"""Organisations, users, teams, API tokens, custom fields, tags, saved views and the audit log.

``TenantModel`` is the base of every business row: it carries the organisation, a public UUID,
timestamps, a version for optimistic locking, and the scoped manager that fails closed.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from vinculo.core.limits import BODY_MAX_LENGTH, TEXT_MAX_LENGTH
from vinculo.core.roles import OWNER_SCOPED_ROLES, Role


def default_time_zone() -> str:
    """The install's ``TIME_ZONE`` until the organisation chooses its own."""
    return settings.TIME_ZONE


def default_language() -> str:
    return settings.LANGUAGE_CODE


def logo_path(organization: Organization, filename: str) -> str:
    """``logos/<organisation id>/<random hex>``, as every stored file (``core.files``): served
    only by the settings' logo view, never from the storage directory, never guessable."""
    return f"logos/{organization.pk}/{uuid.uuid4().hex}"


class Organization(models.Model):
    """A tenant: a company using Vínculo. Every business row belongs to exactly one.

    Its settings (country, currency, time zone, language, fiscal data and logo) are changed by
    ``core.organization.organization_update`` only, audited like a business record."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        default="ES",
        help_text=_("ISO 3166 code; default region for phone numbers and tax ids."),
    )
    base_currency = models.CharField(_("base currency"), max_length=3, default="EUR")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone,
        help_text=_("Dates and times are shown in this zone."))
    language = models.CharField(
        _("default language"), max_length=5, choices=settings.LANGUAGES,
        default=default_language,
        help_text=_("For users who have not chosen their own language."))
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True,
        help_text=_("As registered; printed on quotes and invoices instead of the name."))
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    logo = models.FileField(_("logo"), upload_to=logo_path, blank=True,
                            help_text=_("PNG or JPEG, at most 1 MB; printed on documents."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = models.Manager()
    all_objects = models.Manager()

    # The audit log records changes to the settings (``core.audit``), not the creation.
    audited = True
    audit_creation = False
    audit_exclude: tuple[str, ...] = ("updated_at", "created_at", "version")
    audit_secret: tuple[str, ...] = ()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def organization_id(self) -> int:
        """Its own id: events and the audit log file the organisation's changes under it."""
        return self.pk


class VinculoUserManager(UserManager):
    use_in_migrations = True

    # Django's manager takes a username first; ours takes the e-mail (USERNAME_FIELD), so the
    # public signatures differ from the parent's on purpose.
    def _create_user(
        self, email: str, password: str | None, **extra_fields: Any
    ) -> User:
        if not email:
            raise ValueError("The e-mail is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


#: The e-mail domain of the users that stand for an integration key (``integrations``): a key
#: belongs to the organisation, not to a person, yet services take an ``actor`` and the audit
#: log names one. Such a user is inactive with no usable password (no sign-in, no personal
#: token), and the people pages leave it out.
SERVICE_ACCOUNT_DOMAIN = "integration-keys.invalid"


class User(AbstractUser):
    """A person who logs in. Staff users belong to one organisation with one role there."""

    username = None  # type: ignore[assignment]  # log in by e-mail: no username column
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mail"), unique=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="users"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.READ_ONLY)
    team = models.ForeignKey("core.Team", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="members", verbose_name=_("team"))
    language = models.CharField(_("language"), max_length=5, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    # A staff user's changes (role, team, deactivation, a password set) are audited like a
    # business record's; the password's value never is, and logging in changes nothing logged.
    audited = True
    # (staff and superuser flags are Django's, never set through the product: noise in a history)
    audit_exclude: tuple[str, ...] = ("updated_at", "version", "last_login", "date_joined",
                                      "is_staff", "is_superuser")
    audit_secret: tuple[str, ...] = ("password",)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = VinculoUserManager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_owner_scoped(self) -> bool:
        return self.role in OWNER_SCOPED_ROLES


class TenantQuerySet(models.QuerySet):
    def restrict(self, user: User, action: str = "view") -> TenantQuerySet:
        """Record-level rule: owner-scoped roles see what they or their team own.

        ``owner_field`` and ``team_field`` name a field or a tuple of fields (a row handled by
        the user *or* on an account they own, say); any of them grants access.
        """
        owner_fields = _fields(getattr(self.model, "owner_field", None))
        if not owner_fields or not user.is_owner_scoped:
            return self
        rule = Q()
        for field in owner_fields:
            rule |= Q(**{field: user})
        if user.team_id is not None:
            for field in _fields(getattr(self.model, "team_field", None)):
                rule |= Q(**{field: user.team_id})
        return self.filter(rule)


def _fields(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


TenantManager = models.Manager.from_queryset(TenantQuerySet)


class TenantModel(models.Model):
    """Base of every business row: organisation, public id, timestamps, version."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ScopedManager(organization="organization", _manager_class=TenantManager)
    all_objects = TenantManager()

    audited = True
    owner_field: str | tuple[str, ...] | None = None
    team_field: str | tuple[str, ...] | None = None
    audit_exclude: tuple[str, ...] = ("updated_at", "created_at", "version", "search_text")
    #: Fields whose change is logged but whose value never is (secrets, even encrypted).
    audit_secret: tuple[str, ...] = ()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"


class Team(TenantModel):
    """A group of users: a sales representative sees what their team owns; a lead heads it."""

    name = models.CharField(_("name"), max_length=100)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("team lead"))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_unique_name")
        ]
        verbose_name = _("team")

    def __str__(self) -> str:
        return self.name


class Invitation(TenantModel):
    """A one-time link that lets an invited user set their password and log in.

    Only a hash of the link's token is stored; the link works once (``accepted_at``), until
    ``expires_at``, and not after a newer invitation or a deactivation (``revoked_at``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    audit_secret = ("token_hash",)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def pending(self) -> bool:
        return (self.accepted_at is None and self.revoked_at is None
                and self.expires_at > timezone.now())


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingEmail(models.Model):
    """An e-mail to a person of the organisation (password reset, invitation, notification),
    queued and sent by a background task that retries a failed delivery (``core.mailqueue``)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True,
                                     blank=True, related_name="+")
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    html_body = models.TextField(blank=True, max_length=BODY_MAX_LENGTH)
    status = models.CharField(max_length=10, choices=EmailStatus.choices,
                              default=EmailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class OutgoingEmailAttachment(models.Model):
    """A file sent with a queued staff e-mail (a scheduled report's CSV and XLSX): kept with
    the row so a retried delivery sends the same bytes."""

    email = models.ForeignKey(OutgoingEmail, on_delete=models.CASCADE, related_name="files")
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=120)
    content = models.BinaryField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class Tag(TenantModel):
    name = models.CharField(_("name"), max_length=60)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="tag_unique_name")
        ]
        verbose_name = _("tag")

    def __str__(self) -> str:
        return self.name


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Whole number")
    DECIMAL = "decimal", _("Decimal")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes/no")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")


class CustomField(TenantModel):
    """A field an administrator adds to accounts, contacts or leads; values live in JSON."""

    model = models.CharField(
        _("applies to"),
        max_length=30,
        choices=[("account", _("Account")), ("contact", _("Contact")), ("lead", _("Lead"))],
    )
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=20, choices=CustomFieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["model", "order", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "model", "key"], name="customfield_unique_key"
            )
        ]
        verbose_name = _("custom field")

    def __str__(self) -> str:
        return f"{self.get_model_display()}: {self.label}"


class SavedView(TenantModel):
    """A user's named list filter (the query string of a list page)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    list_name = models.CharField(max_length=30)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(max_length=1000, blank=True)

    audited = False

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A per-user API token. Only a hash is stored; the key is shown once, at creation."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return secrets.token_urlsafe(32)


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")


class AuditEntry(models.Model):
    """One change to business data: who, when, what changed (before/after per field)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    object_uuid = models.UUIDField(null=True, blank=True)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict)
    request_id = models.CharField(max_length=36, blank=True)

    objects = ScopedManager(organization="organization")
    all_objects = models.Manager()

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-timestamp"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    @property
    def actor_display(self) -> str:
        """Who did it, for a page: changes made by no user ("system", stored so for the API)
        read in the user's language."""
        if self.actor_id is None and self.actor_label == "system":
            return str(_("system"))
        return self.actor_label


class DocumentSequence(models.Model):
    """The last number used in a numbering series (``F-2026``): numbers without gaps.

    A number is taken by locking this row inside the transaction that creates the document, so a
    rollback gives the number back and two concurrent issuers wait for each other.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=30)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="sequence_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.last_number}"


class ScheduledJob(models.Model):
    """The last slot of a periodic job that some host claimed (``core.schedule``): the lock that
    makes each job run once per slot per installation, however many hosts run
    ``vinculo scheduler``. One row per job; claiming is one conditional UPDATE."""

    name = models.CharField(max_length=200, unique=True)
    slot = models.DateTimeField(null=True, blank=True)
    host = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.slot}"
