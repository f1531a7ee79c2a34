"""Satisfaction surveys sent when a ticket is resolved, and their answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events
from vinculo.core.limits import SHORT_TEXT_MAX_LENGTH
from vinculo.service.models import (
    Survey,
    Ticket,
)

SURVEY_SALT = "vinculo.service.survey"


# ---- satisfaction surveys -------------------------------------------------------------------


def survey_token(survey: Survey) -> str:
    return signing.dumps(survey.uuid.hex, salt=SURVEY_SALT)


def survey_from_token(token: str) -> Survey | None:
    try:
        value = signing.loads(token, salt=SURVEY_SALT, max_age=dt.timedelta(days=60))
    except signing.BadSignature:
        return None
    return Survey.all_objects.filter(uuid=value).select_related("ticket").first()


def _survey_enqueue(ticket_pk: int) -> None:
    from vinculo.service.tasks import survey_send

    survey_send.enqueue(ticket_pk)


def survey_send(ticket_pk: int) -> Survey | None:
    """E-mail the requester a one-click CSAT question (and an optional NPS one), once.

    It goes through the customer's e-mail queue (retried when SMTP fails, on the ticket and the
    customer's timeline). A survey is not a message the customer asked for, so it needs their
    consent: a contact who has not consented to e-mail, or withdrew it, gets none, and the
    survey keeps the reason (``not_sent_reason``, shown on the ticket).
    """
    from django.template.loader import render_to_string
    from django.utils import translation

    from vinculo.interactions.mailing import email_write

    ticket = Ticket.all_objects.select_related("contact", "queue__mailbox", "organization").get(
        pk=ticket_pk)
    address = ticket.requester_email or (ticket.contact.email if ticket.contact else "")
    if not address:
        return None
    with transaction.atomic():
        survey, created = Survey.all_objects.select_for_update().get_or_create(
            ticket=ticket, defaults={"organization_id": ticket.organization_id})
        if not created and (survey.sent_at is not None or survey.not_sent_reason):
            return survey  # one survey per ticket, even when it is resolved again
        base = settings.SITE_URL + reverse("survey", kwargs={"token": survey_token(survey)})
        language = (ticket.contact.preferred_language if ticket.contact else "") or \
            settings.LANGUAGE_CODE
        with translation.override(language):
            context = {"ticket": ticket, "base": base, "scores": range(1, 6),
                       "organization": ticket.organization}
            subject = _("How did we do? %(number)s") % {"number": ticket.number}
            text = render_to_string("service/email/survey.txt", context)
            html = render_to_string("service/email/survey.html", context)
        try:
            email_write(organization_id=ticket.organization_id, actor=None, subject=subject,
                        body=text, html_body=html, to=[address], contact=ticket.contact,
                        related=ticket, mailbox=ticket.queue.mailbox)
        except ValidationError as exc:  # no consent (or an address that is not one)
            reason = " ".join(exc.messages)[:SHORT_TEXT_MAX_LENGTH]
            Survey.all_objects.filter(pk=survey.pk).update(not_sent_reason=reason)
            survey.not_sent_reason = reason
            return survey
        Survey.all_objects.filter(pk=survey.pk).update(sent_at=timezone.now())
    return survey


@transaction.atomic
def survey_answer(*, survey: Survey, csat: Any = None, nps: Any = None,
                  comment: str | None = None) -> Survey:
    """Record (or change) the customer's answer: CSAT 1–5, NPS 0–10, a comment."""
    errors = {}
    values: dict[str, Any] = {}
    for name, value, low, high in (("csat", csat, 1, 5), ("nps", nps, 0, 10)):
        if value in (None, ""):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            errors[name] = _("A whole number from %(low)d to %(high)d.") % {"low": low,
                                                                            "high": high}
        else:
            values[name] = number
    if comment is not None:
        if len(comment) > 2000:
            errors["comment"] = _("At most 2000 characters.")
        values["comment"] = comment.strip()
    if errors:
        raise ValidationError(errors)
    if not values:
        raise ValidationError({"csat": _("Choose a score.")})
    Survey.all_objects.filter(pk=survey.pk).update(answered_at=timezone.now(), **values)
    survey.refresh_from_db()
    events.publish("survey.answered", record=survey, data={
        "csat": survey.csat, "nps": survey.nps, "ticket": str(survey.ticket.uuid)})
    return survey
