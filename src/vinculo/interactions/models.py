"""Every contact with a customer on every channel, the e-mail behind them, tasks and web forms.

An ``Interaction`` is one contact (a call, a visit, an e-mail, a chat, a letter, a web form…)
with an account and/or contact, handled by a user, optionally about another record (an
opportunity, an order, a ticket, a campaign) through a generic relation, so that this app sits
below the ones that own those records and still shows on their timelines.

E-mail interactions carry an ``EmailMessage`` (headers, bodies, delivery status, attachments)
and belong to a ``Thread``: the conversation that Message-ID / In-Reply-To / References tie
together. ``Mailbox`` holds an organisation's IMAP settings (password encrypted) and the state
of its poller; ``RejectedMessage`` keeps what could not be used, raw, with the reason.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vinculo.core.files import UnguessableName
from vinculo.core.limits import BODY_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH
from vinculo.core.models import ApiToken, TenantModel


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    FAX = "fax", _("Fax")
    VISIT = "visit", _("Visit")
    LETTER = "letter", _("Letter")
    WEB_FORM = "web_form", _("Web form")
    SOCIAL = "social", _("Social media")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    NOT_INTERESTED = "not_interested", _("Not interested")


class RelatedMixin(models.Model):
    """An optional link to any record (opportunity, order, ticket, campaign…)."""

    related_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")
    related_id = models.BigIntegerField(null=True, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    class Meta:
        abstract = True


class Interaction(RelatedMixin, TenantModel):
    """One contact with a customer, on one channel, shown on every related record's timeline."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices,
                                 default=Direction.OUTBOUND)
    occurred_at = models.DateTimeField(_("date"), default=timezone.now)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True,
                                                   blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    account = models.ForeignKey("customers.Account", verbose_name=_("account"),
                                on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="interactions")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"),
                                on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="interactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"),
                             on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    thread = models.ForeignKey("Thread", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="interactions", editable=False)

    # A sales representative sees what they handled and what happened on their customers.
    owner_field = ("user", "account__owner")
    team_field = ("account__team",)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["organization", "account", "-occurred_at"],
                         name="interaction_account"),
            models.Index(fields=["organization", "contact", "-occurred_at"],
                         name="interaction_contact"),
            models.Index(fields=["organization", "related_type", "related_id", "-occurred_at"],
                         name="interaction_related"),
            models.Index(fields=["organization", "user", "-occurred_at"],
                         name="interaction_user"),
            models.Index(fields=["organization", "-occurred_at", "-id"],
                         name="interaction_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(related_type__isnull=True, related_id__isnull=True)
                | Q(related_type__isnull=False, related_id__isnull=False),
                name="interaction_related_pair"),
        ]

    def __str__(self) -> str:
        return self.subject or f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class Thread(RelatedMixin, TenantModel):
    """A conversation: the messages that reply to each other, and what it is about."""

    subject = models.CharField(_("subject"), max_length=300, blank=True)
    account = models.ForeignKey("customers.Account", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    contact = models.ForeignKey("customers.Contact", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    last_message_at = models.DateTimeField(default=timezone.now)

    audited = False

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("conversation")
        indexes = [models.Index(fields=["organization", "related_type", "related_id"],
                                name="thread_related")]

    def __str__(self) -> str:
        return self.subject or str(self.uuid)


class Mailbox(TenantModel):
    """An organisation's mailbox: where inbound e-mail is read from and replies are sent as.

    The IMAP password is stored encrypted (``core.crypto``); ``uidvalidity`` and ``last_uid``
    are the poller's position, advanced only after a message is stored.
    """

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("address"))
    imap_host = models.CharField(_("IMAP server"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_username = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password = models.TextField(_("IMAP password"), blank=True, editable=False,
                                     max_length=SHORT_TEXT_MAX_LENGTH)
    imap_folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    processed_folder = models.CharField(
        _("move processed messages to"), max_length=200, blank=True,
        help_text=_("Leave empty to only mark them as read."))
    active = models.BooleanField(_("active"), default=True)
    inbound_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    uidvalidity = models.BigIntegerField(default=0, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False, max_length=TEXT_MAX_LENGTH)

    audit_secret = ("imap_password", "inbound_token_hash")

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.UniqueConstraint(fields=["organization", "address"],
                                    name="mailbox_unique_address"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    # The inbound token is made and kept (hashed) like an API token.
    generate_token = staticmethod(ApiToken.generate_key)
    hash_token = staticmethod(ApiToken.hash_key)


class EmailStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("e-mail status", "Queued")
    SENT = "sent", pgettext_lazy("e-mail status", "Sent")
    FAILED = "failed", pgettext_lazy("e-mail status", "Failed")
    RECEIVED = "received", pgettext_lazy("e-mail status", "Received")


class EmailMessage(TenantModel):
    """The e-mail of an e-mail interaction: headers for threading, bodies, delivery status."""

    interaction = models.OneToOneField(Interaction, on_delete=models.CASCADE,
                                       related_name="email")
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    message_id = models.CharField(max_length=255)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)
    from_address = models.EmailField(_("from"))
    from_name = models.CharField(max_length=200, blank=True)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True, max_length=BODY_MAX_LENGTH)
    body_html = models.TextField(blank=True, max_length=BODY_MAX_LENGTH)
    status = models.CharField(_("status"), max_length=10, choices=EmailStatus.choices)
    error = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    raw_path = models.CharField(max_length=300, blank=True)
    defects = models.JSONField(default=list, blank=True)
    auto_submitted = models.BooleanField(default=False)
    # Called for by the customer's own request (a ticket reply, a quote or invoice they asked
    # for), so sent whatever their consent to e-mail; every other message needs that consent.
    transactional = models.BooleanField(_("transactional"), default=False)

    audited = False

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        constraints = [
            models.UniqueConstraint(fields=["organization", "message_id"],
                                    name="email_unique_message_id"),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="email_status")]

    def __str__(self) -> str:
        return self.subject or self.message_id


def attachment_path(instance: Attachment, filename: str) -> str:
    """Kept for the migrations that name it; new files take ``UnguessableName``."""
    return f"attachments/{instance.organization_id}/{instance.uuid.hex}"


class Attachment(TenantModel):
    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE,
                                related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField(_("size"))
    # not the row's UUID (public, in the download URL): a name nobody can derive
    file = models.FileField(upload_to=UnguessableName("attachments"), blank=True,
                            max_length=200)
    sha256 = models.CharField(max_length=64, blank=True)
    dropped_reason = models.CharField(max_length=300, blank=True)

    audited = False

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")

    def __str__(self) -> str:
        return self.filename


class RejectedMessage(TenantModel):
    """An inbound message that could not be used, kept raw with the reason (never lost)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="rejected")
    source = models.CharField(max_length=10)  # "imap" or "http"
    uid = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=TEXT_MAX_LENGTH)
    raw_path = models.CharField(max_length=300)
    size = models.PositiveBigIntegerField(default=0)

    audited = False

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rejected message")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.reason[:60]}"


class EmailTemplate(TenantModel):
    """A reusable e-mail with merge fields (``{{ contact.first_name }}``), in one language."""

    name = models.CharField(_("name"), max_length=100)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES,
                                blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), max_length=BODY_MAX_LENGTH)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("e-mail template")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name", "language"],
                                    name="emailtemplate_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    DONE = "done", pgettext_lazy("task status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("task status", "Cancelled")


class TaskPriority(models.TextChoices):
    LOW = "low", pgettext_lazy("priority", "Low")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    HIGH = "high", pgettext_lazy("priority", "High")


class Task(RelatedMixin, TenantModel):
    """Something a user must do by a date: call back, send a quote, visit.

    A recurring task carries an RFC 5545 ``RRULE``; completing it opens the next occurrence.
    """

    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH)
    due_at = models.DateTimeField(_("due"))
    remind_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"),
                                 on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN)
    priority = models.CharField(_("priority"), max_length=10, choices=TaskPriority.choices,
                                default=TaskPriority.NORMAL)
    recurrence = models.CharField(
        _("repeats"), max_length=200, blank=True,
        help_text=_("An iCalendar rule, e.g. FREQ=WEEKLY;BYDAY=MO or FREQ=MONTHLY;COUNT=6."))
    account = models.ForeignKey("customers.Account", verbose_name=_("account"),
                                on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="tasks")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"),
                                on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="tasks")
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    previous = models.OneToOneField("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="next_occurrence", editable=False)

    owner_field = "assignee"
    team_field = "assignee__team"

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["organization", "assignee", "status", "due_at"],
                         name="task_assignee_due"),
            models.Index(fields=["status", "remind_at"], name="task_reminder"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == TaskStatus.OPEN and self.due_at < timezone.now()


class CalendarFeed(models.Model):
    """A user's secret iCalendar feed address; only a hash of its key is stored."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="calendar_feed")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")

    def __str__(self) -> str:
        return f"{self.user} calendar"


class WebFormKind(models.TextChoices):
    CONTACT = "contact", _("Contact us (creates a lead)")
    REQUEST = "request", _("Request (creates a ticket)")
    COMPLAINT = "complaint", _("Complaint (creates a ticket)")


class WebForm(TenantModel):
    """A public form on the organisation's site: what it creates and whom it is assigned to."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=WebFormKind.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assign to"),
                              on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    thank_you = models.CharField(_("thank-you message"), max_length=300, blank=True)
    max_per_hour = models.PositiveSmallIntegerField(
        _("submissions per hour and visitor"), default=5)

    class Meta:
        ordering = ["name"]
        verbose_name = _("web form")

    def __str__(self) -> str:
        return self.name


class WebFormSubmission(TenantModel):
    """One accepted submission: what was sent, from whom (a hashed address) and what it made."""

    form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="submissions")
    client_hash = models.CharField(max_length=64, db_index=True)
    data = models.JSONField(default=dict)
    interaction = models.ForeignKey(Interaction, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")

    audited = False

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("web form submission")
        indexes = [models.Index(fields=["form", "client_hash", "created_at"],
                                name="webform_rate")]

    def __str__(self) -> str:
        return f"{self.form}: {self.created_at:%Y-%m-%d %H:%M}"
