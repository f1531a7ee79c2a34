"""The service desk: tickets in queues, business calendars, SLA policies, surveys, articles.

A ticket's SLA clock runs in its policy's business hours and stops while the ticket waits on
the customer. Its due and warning instants are computed by ``business_hours`` whenever the
clock changes (created, paused, resumed, re-prioritised) and stored, so the periodic scan that
flags tickets about to breach is a comparison with "now" inside the database.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vinculo.core.limits import BODY_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH
from vinculo.core.links import TenantLink, TenantManyToManyField
from vinculo.core.models import Tag, Team, TenantModel
from vinculo.customers.models import ServiceTier


class TicketType(models.TextChoices):
    REQUEST = "request", _("Request")
    INCIDENT = "incident", _("Incident")
    COMPLAINT = "complaint", _("Complaint")
    RETURN = "return", _("Return request")


class Priority(models.TextChoices):
    LOW = "low", pgettext_lazy("priority", "Low")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    HIGH = "high", pgettext_lazy("priority", "High")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


class TicketStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    WAITING = "waiting", pgettext_lazy("ticket status", "Waiting on customer")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)


class SlaState(models.TextChoices):
    OK = "ok", _("On track")
    WARNING = "warning", _("About to breach")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")


class BusinessCalendar(TenantModel):
    """Working hours per weekday (local time) and holidays, for SLA clocks."""

    name = models.CharField(_("name"), max_length=100)
    timezone = models.CharField(_("time zone"), max_length=60, default="Europe/Madrid")
    # {"0": [["09:00", "14:00"], ["15:00", "18:00"]], …}: Monday = 0; missing day = closed.
    weekly_hours = models.JSONField(_("working hours"), default=dict)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        constraints = [models.UniqueConstraint(fields=["organization", "name"],
                                               name="calendar_unique_name")]

    def __str__(self) -> str:
        return self.name


class Holiday(TenantModel):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE,
                                 related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"],
                                               name="holiday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(TenantModel):
    """Targets per priority for the customers of one tier (or every tier), in business time."""

    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("customer tier"), max_length=10, choices=ServiceTier.choices,
                            blank=True, help_text=_("Empty: customers of any tier."))
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("business hours"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", help_text=_("Empty: around the clock."))
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (% of the target)"), default=80)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(condition=Q(warn_percent__gte=1, warn_percent__lte=100),
                                   name="sla_warn_percent_range"),
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(TenantModel):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"))

    audited = False

    class Meta:
        ordering = ["policy", "priority"]
        verbose_name = _("SLA target")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="slatarget_unique"),
            models.CheckConstraint(condition=Q(first_response_minutes__gt=0,
                                               resolution_minutes__gt=0),
                                   name="slatarget_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.priority}"


class AssignmentRule(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round robin within the team")
    BY_TIER = "by_tier", _("By customer tier")


class Queue(TenantModel):
    """Where tickets wait for an agent: a team, an assignment rule, an escalation path."""

    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")
    assignment = models.CharField(_("assignment"), max_length=12,
                                  choices=AssignmentRule.choices, default=AssignmentRule.MANUAL)
    mailbox = models.ForeignKey("interactions.Mailbox", verbose_name=_("mailbox"),
                                on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+",
                                help_text=_("New e-mail to this mailbox opens a ticket here."))
    default_for = models.JSONField(
        _("default queue for"), default=list, blank=True,
        help_text=_("Ticket types routed here when no queue is given."))
    escalate_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("escalate to"),
                                    on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+", editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        constraints = [models.UniqueConstraint(fields=["organization", "name"],
                                               name="queue_unique_name")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def history_display(cls, name: str, value: Any) -> str | None:
        """The ticket kinds a queue takes, by their labels."""
        if name == "default_for" and isinstance(value, list):
            return ", ".join(str(TicketType(t).label) if t in TicketType.values else str(t)
                             for t in value)
        return None

    @property
    def default_for_labels(self) -> list[str]:
        return [str(TicketType(t).label) for t in self.default_for if t in TicketType.values]


class TicketCategory(TenantModel):
    """One of the organisation's ticket types, in its own words ("Warranty claim"), counting
    as one of the built-in kinds (request, incident, complaint, return) so that analytics and
    returns keep their meaning. Every organisation starts with one type per kind
    (``services.ticket_types.ticket_types_ensure``)."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("counts as"), max_length=10, choices=TicketType.choices,
                            default=TicketType.REQUEST,
                            help_text=_("What analytics count it as: request, incident, "
                                        "complaint or return."))
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+",
                              help_text=_("Tickets of this type wait here when no queue is "
                                          "chosen. Empty: the queue for its kind."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Inactive types are no longer offered."))

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        constraints = [models.UniqueConstraint(fields=["organization", "name"],
                                               name="ticketcategory_unique_name")]

    def __str__(self) -> str:
        return self.name


class TierRoute(TenantModel):
    """By-tier assignment: the agent who takes a queue's tickets of one customer tier."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="tier_routes")
    tier = models.CharField(_("customer tier"), max_length=10, choices=ServiceTier.choices)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"),
                              on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["queue", "tier"]
        verbose_name = _("tier route")
        constraints = [models.UniqueConstraint(fields=["queue", "tier"],
                                               name="tierroute_unique")]

    def __str__(self) -> str:
        return f"{self.queue}: {self.tier} → {self.agent}"


class Ticket(TenantModel):
    """A customer's request, incident, complaint or return request, with its SLA clock."""

    number = models.CharField(_("number"), max_length=30, editable=False)
    # ``type`` is the built-in kind (what analytics count); ``ticket_type`` the organisation's
    # own type, which sets the kind.
    type = models.CharField(_("counts as"), max_length=10, choices=TicketType.choices,
                            default=TicketType.REQUEST)
    ticket_type = models.ForeignKey(TicketCategory, verbose_name=_("type"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="tickets")
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.PROTECT,
                              related_name="tickets")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices,
                                default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices,
                              default=TicketStatus.NEW, editable=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"),
                                 on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    account = models.ForeignKey("customers.Account", verbose_name=_("account"),
                                on_delete=models.PROTECT, null=True, blank=True,
                                related_name="tickets")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"),
                                on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="tickets")
    requester_email = models.EmailField(_("requester e-mail"), blank=True)
    order = models.ForeignKey("sales.Order", verbose_name=_("order"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+")
    invoice = models.ForeignKey("billing.Invoice", verbose_name=_("invoice"),
                                on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    tier = models.CharField(_("customer tier"), max_length=10, choices=ServiceTier.choices,
                            default=ServiceTier.STANDARD, editable=False)
    articles = TenantManyToManyField("Article", through="TicketArticle", blank=True,
                                     verbose_name=_("articles"), related_name="tickets")

    # SLA clock (see the module docstring); minutes are business minutes.
    sla_policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", editable=False)
    first_response_target = models.PositiveIntegerField(null=True, blank=True, editable=False)
    resolution_target = models.PositiveIntegerField(null=True, blank=True, editable=False)
    first_response_due = models.DateTimeField(_("first response due"),
                                              null=True, blank=True, editable=False)
    first_response_warn = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_due = models.DateTimeField(_("resolution due"),
                                          null=True, blank=True, editable=False)
    resolution_warn = models.DateTimeField(null=True, blank=True, editable=False)
    sla_pauses = models.JSONField(default=list, blank=True, editable=False)
    first_response_state = models.CharField(_("first response SLA"),
                                            max_length=10, choices=SlaState.choices,
                                            default=SlaState.OK, editable=False)
    resolution_state = models.CharField(_("resolution SLA"),
                                        max_length=10, choices=SlaState.choices,
                                        default=SlaState.OK, editable=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"),
                                                        default=0, editable=False)

    first_response_at = models.DateTimeField(_("first response at"),
                                             null=True, blank=True, editable=False)
    first_response_minutes = models.FloatField(_("time to first response"),
                                               null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    resolution_minutes = models.FloatField(_("time to resolution"),
                                           null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"),
                                                      default=0, editable=False)

    owner_field = ("assignee", "account__owner")
    team_field = ("account__team",)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"],
                                    name="ticket_unique_number"),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "queue"], name="ticket_queue"),
            models.Index(fields=["organization", "assignee", "status"], name="ticket_assignee"),
            models.Index(fields=["organization", "account", "-created_at"],
                         name="ticket_account"),
            # The SLA scan: open tickets whose next instant (warn or due) has passed.
            models.Index(fields=["status", "first_response_warn"], name="ticket_frt_warn",
                         condition=Q(first_response_at__isnull=True)),
            models.Index(fields=["status", "resolution_warn"], name="ticket_res_warn"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def channel_label(self) -> str:
        """How the ticket came in, in words (the channels of interactions, or the API)."""
        from vinculo.interactions.models import Channel

        if self.channel in Channel.values:
            return str(Channel(self.channel).label)
        return "API" if self.channel == "api" else self.channel


class EntryKind(models.TextChoices):
    NOTE = "note", _("Internal note")
    EVENT = "event", _("Event")


class TicketEntry(TenantModel):
    """An internal note or an event (escalation, reassignment) on a ticket's conversation.

    Public replies and the customer's messages are interactions related to the ticket; this
    holds what the customer never sees.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=5, choices=EntryKind.choices)
    body = models.TextField(_("text"), max_length=TEXT_MAX_LENGTH)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")

    audited = False

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket note")

    def __str__(self) -> str:
        return self.body[:60]


class Survey(TenantModel):
    """The satisfaction survey sent when a ticket is resolved: CSAT 1–5, optional NPS 0–10."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey")
    sent_at = models.DateTimeField(null=True, blank=True)
    # Why no survey went out (the requester has not consented to e-mail, or withdrew it).
    not_sent_reason = models.CharField(_("not sent because"), max_length=SHORT_TEXT_MAX_LENGTH,
                                       blank=True, editable=False)
    csat = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("recommendation (0–10)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=TEXT_MAX_LENGTH)
    answered_at = models.DateTimeField(null=True, blank=True)

    audited = False

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("satisfaction survey")
        constraints = [
            models.CheckConstraint(condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                                   name="survey_csat_range"),
            models.CheckConstraint(condition=Q(nps__isnull=True) | Q(nps__lte=10),
                                   name="survey_nps_range"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.csat or '–'}"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Article(TenantModel):
    """A knowledge-base article: the answer agents link from tickets (and, later, the portal)."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=BODY_MAX_LENGTH)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices,
                              default=ArticleStatus.DRAFT)
    public = models.BooleanField(_("visible to customers"), default=False)
    tags = TenantManyToManyField(Tag, through="ArticleTag", verbose_name=_("tags"), blank=True,
                                 related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", editable=False)
    search_text = models.TextField(blank=True, editable=False, max_length=BODY_MAX_LENGTH)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("knowledge base")

    def __str__(self) -> str:
        return self.title


# Through models with the organisation (core.links), on Django's former automatic tables.
class TicketArticle(TenantLink):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "service_ticket_articles"
        unique_together = [("ticket", "article")]


class ArticleTag(TenantLink):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "service_article_tags"
        unique_together = [("article", "tag")]
