"""Reads of the service desk: a ticket's conversation, the 360° timeline, articles, metrics."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.core.models import User
from vinculo.customers.normalize import fold
from vinculo.interactions import selectors as interaction_selectors
from vinculo.service.models import (
    OPEN_STATUSES,
    Article,
    ArticleStatus,
    SlaState,
    Survey,
    Ticket,
    TicketStatus,
)


@dataclass(frozen=True)
class ConversationItem:
    when: dt.datetime
    kind: str  # "inbound", "outbound", "note", "event"
    author: str
    body: str
    channel: str = ""
    interaction: Any = None


def conversation(ticket: Ticket) -> list[ConversationItem]:
    """The ticket's messages (both ways, every channel), notes and events, oldest first."""
    items = [ConversationItem(ticket.created_at, "inbound",
                              str(ticket.contact or ticket.requester_email or ""),
                              ticket.description, ticket.channel)] if ticket.description else []
    for row in interaction_selectors.for_related(ticket):
        author = str(row.user) if row.direction == "outbound" and row.user else \
            str(row.contact or (row.email.from_address if hasattr(row, "email") else ""))
        items.append(ConversationItem(row.occurred_at, row.direction, author, row.notes,
                                      row.get_channel_display(), row))
    for entry in ticket.entries.select_related("author"):
        items.append(ConversationItem(entry.created_at, entry.kind,
                                      str(entry.author or _("Vínculo")), entry.body))
    # The first customer message of an e-mail ticket is also its description: show it once.
    if ticket.channel == "email" and len(items) > 1 and items[0].kind == "inbound":
        items = items[1:]
    return sorted(items, key=lambda item: item.when)


def timeline(record: Any, limit: int) -> list[Any]:
    """Tickets opened and resolved for an account or contact (the 360° timeline)."""
    from vinculo.core.timeline import TimelineItem, of_customer

    tickets = of_customer(Ticket.objects.all(), record)
    if tickets is None:
        return []
    items = []
    for ticket in tickets.select_related("ticket_type").order_by("-created_at", "-id")[:limit]:
        url = reverse("service:ticket_detail", kwargs={"uuid": ticket.uuid})
        items.append(TimelineItem(ticket.created_at, "ticket",
                                  _("Ticket %(number)s opened: %(subject)s") % {
                                      "number": ticket.number, "subject": ticket.subject},
                                  url, str(ticket.ticket_type or ticket.get_type_display())))
        if ticket.resolved_at:
            items.append(TimelineItem(ticket.resolved_at, "ticket",
                                      _("Ticket %(number)s resolved") % {
                                          "number": ticket.number}, url, ticket.subject))
    return items


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text or ""))


def article_search(query: str, *, published_only: bool = True,
                   public_only: bool = False) -> QuerySet:
    """Articles containing every word of ``query`` (accents and case ignored), titles first."""
    articles = Article.objects.all()
    if published_only:
        articles = articles.filter(status=ArticleStatus.PUBLISHED)
    if public_only:
        articles = articles.filter(public=True)
    words = [w for w in _words(query) if len(w) > 1][:8]
    for word in words:
        articles = articles.filter(search_text__contains=word)
    return articles.order_by("title", "id")


def suggested_articles(ticket: Ticket, *, limit: int = 5) -> list[Article]:
    """Published articles sharing the most words with the ticket's subject."""
    words = [w for w in _words(ticket.subject) if len(w) > 3][:6]
    if not words:
        return []
    query = Q()
    for word in words:
        query |= Q(search_text__contains=word)
    candidates = Article.objects.filter(query, status=ArticleStatus.PUBLISHED).exclude(
        pk__in=ticket.articles.values("pk"))[:50]
    ranked = sorted(candidates, key=lambda a: (-sum(w in a.search_text for w in words), a.title))
    return ranked[:limit]


# ---- metrics --------------------------------------------------------------------------------

GROUPS = {
    "queue": ("queue__name", gettext_lazy("Queue")),
    "agent": ("assignee__email", gettext_lazy("Agent")),
    "tier": ("tier", gettext_lazy("Customer tier")),
    "month": ("month", gettext_lazy("Month")),
}


def _rate(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def metrics(*, by: str = "queue", start: dt.date | None = None,
            end: dt.date | None = None,
            assignees: Collection[int] | None = None) -> list[dict[str, Any]]:
    """Per queue, agent, customer tier or month (of creation): volume, first response and
    resolution times (mean business minutes), SLA compliance, backlog, reopen rate, CSAT, NPS.
    ``by="all"``: one row for the organisation (objectives); ``assignees``: only the tickets
    assigned to those users (a team's or an agent's objective).

    One aggregate query over tickets and one over surveys, whatever the number of tickets.
    """
    key, _label = ("organization", "") if by == "all" else GROUPS.get(by, GROUPS["queue"])
    tickets = Ticket.objects.all()
    if assignees is not None:
        tickets = tickets.filter(assignee_id__in=list(assignees))
    if start is not None:
        tickets = tickets.filter(created_at__date__gte=start)
    if end is not None:
        tickets = tickets.filter(created_at__date__lte=end)
    if by == "month":
        tickets = tickets.annotate(month=TruncMonth("created_at"))
    rows = (tickets.order_by().values(key).annotate(
        created=Count("id"),
        backlog=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        reopened=Count("id", filter=Q(reopened_count__gt=0)),
        frt=Avg("first_response_minutes"),
        resolution=Avg("resolution_minutes"),
        frt_met=Count("id", filter=Q(first_response_state=SlaState.MET)),
        frt_done=Count("id", filter=Q(first_response_state__in=[SlaState.MET,
                                                                SlaState.BREACHED],
                                      first_response_at__isnull=False)),
        res_met=Count("id", filter=Q(resolution_state=SlaState.MET)),
        res_done=Count("id", filter=Q(resolution_state__in=[SlaState.MET, SlaState.BREACHED],
                                      resolved_at__isnull=False)),
        breached_open=Count("id", filter=Q(status__in=OPEN_STATUSES)
                            & (Q(first_response_state=SlaState.BREACHED)
                               | Q(resolution_state=SlaState.BREACHED))),
    ).order_by(key))
    surveys = Survey.objects.filter(ticket__in=tickets.values("pk"), answered_at__isnull=False)
    if by == "month":
        surveys = surveys.annotate(month=TruncMonth("ticket__created_at"))
        survey_key = "month"
    else:
        survey_key = f"ticket__{key}"
    answers = {
        row[survey_key]: row for row in surveys.order_by().values(survey_key).annotate(
            answers=Count("id", filter=Q(csat__isnull=False)),
            csat_mean=Avg("csat"),
            satisfied=Count("id", filter=Q(csat__gte=4)),
            nps_answers=Count("id", filter=Q(nps__isnull=False)),
            promoters=Count("id", filter=Q(nps__gte=9)),
            detractors=Count("id", filter=Q(nps__lte=6)),
        )}
    result = []
    for row in rows:
        group = row[key]
        survey = answers.get(group, {})
        nps_n = survey.get("nps_answers") or 0
        result.append({
            "group": group.strftime("%Y-%m") if by == "month" and group else group,
            "created": row["created"], "backlog": row["backlog"], "resolved": row["resolved"],
            "first_response_minutes": row["frt"], "resolution_minutes": row["resolution"],
            "first_response_compliance": _rate(row["frt_met"], row["frt_done"]),
            "resolution_compliance": _rate(row["res_met"], row["res_done"]),
            "breached_open": row["breached_open"],
            "reopen_rate": _rate(row["reopened"], row["resolved"]),
            "csat": round(survey["csat_mean"], 2) if survey.get("csat_mean") is not None
            else None,
            "csat_satisfied": _rate(survey.get("satisfied"), survey.get("answers")),
            "nps": round(100.0 * (survey["promoters"] - survey["detractors"]) / nps_n, 1)
            if nps_n else None,
            "survey_answers": survey.get("answers", 0),
        })
    return result


def sla_filter(queryset: QuerySet, state: str) -> QuerySet:
    """Open tickets whose first response or resolution is in ``state`` (warning, breached)."""
    return queryset.filter(Q(first_response_state=state, first_response_at__isnull=True)
                           | Q(resolution_state=state), status__in=OPEN_STATUSES)


def queue_overview() -> list[dict[str, Any]]:
    """Per queue: open tickets, unassigned, about to breach, breached."""
    rows = (Ticket.objects.filter(status__in=OPEN_STATUSES).order_by()
            .values("queue__uuid", "queue__name").annotate(
                open=Count("id"),
                unassigned=Count("id", filter=Q(assignee__isnull=True)),
                waiting=Count("id", filter=Q(status=TicketStatus.WAITING)),
                warning=Count("id", filter=Q(first_response_state=SlaState.WARNING)
                              | Q(resolution_state=SlaState.WARNING)),
                breached=Count("id", filter=Q(first_response_state=SlaState.BREACHED)
                               | Q(resolution_state=SlaState.BREACHED)))
            .order_by("queue__name"))
    return [dict(row) for row in rows]



HOME_ROWS = 5


def home_tickets(user: User) -> dict[str, Any]:
    """The home page's "tickets waiting on me" panel: the user's open tickets (how many, how
    many about to breach or breached: one aggregate on the (organisation, assignee, status)
    index) and the most urgent few, by the nearest SLA deadline."""
    mine = Ticket.objects.filter(assignee=user, status__in=OPEN_STATUSES)
    counts = mine.aggregate(
        open=Count("id"),
        warning=Count("id", filter=Q(first_response_state=SlaState.WARNING,
                                     first_response_at__isnull=True)
                      | Q(resolution_state=SlaState.WARNING)),
        breached=Count("id", filter=Q(first_response_state=SlaState.BREACHED,
                                      first_response_at__isnull=True)
                       | Q(resolution_state=SlaState.BREACHED)))
    urgent = list(mine.select_related("account").order_by(
        F("resolution_due").asc(nulls_last=True), "id")[:HOME_ROWS])
    return {**counts, "urgent": urgent}
