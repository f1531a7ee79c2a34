"""What interactions holds about a contact (``core/privacy.py``): the interactions whose
contact they are (with their e-mails and attachments), threads, tasks about them, and the web
forms they sent. After an erasure their interactions stay as dated events of the channel
(counted by the cost to serve) without subject, notes, addresses, bodies or files; mentions of
the person anywhere else in the timeline go too."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from vinculo.core.privacy import (
    MARK,
    Subject,
    delete_files_on_commit,
    mentioning,
    plain,
    scrub_org,
)
from vinculo.interactions.models import (
    Attachment,
    EmailMessage,
    Interaction,
    RejectedMessage,
    Task,
    Thread,
    WebFormSubmission,
)

EMAIL_TEXT = ("from_address", "from_name", "to", "cc", "subject", "body_text", "body_html")


def _theirs(model: Any, subject: Subject) -> Any:
    return model.all_objects.filter(organization_id=subject.organization_id,
                                    contact_id=subject.contact.pk)


def _emails(subject: Subject) -> Any:
    """Their interactions' e-mails, and e-mails from or to their addresses."""
    condition = Q(interaction__contact_id=subject.contact.pk)
    for address in subject.emails:
        condition |= Q(from_address__iexact=address)
    by_text = mentioning(EmailMessage.all_objects.filter(
        organization_id=subject.organization_id), ("to", "cc"), subject)
    return EmailMessage.all_objects.filter(
        Q(pk__in=by_text.values("pk")) | condition, organization_id=subject.organization_id)


def export_interactions(subject: Subject) -> list[dict[str, Any]]:
    emails = {e.interaction_id: e for e in _emails(subject).prefetch_related("attachments")}
    found = Interaction.all_objects.filter(
        Q(contact_id=subject.contact.pk) | Q(pk__in=list(emails)),
        organization_id=subject.organization_id).order_by("occurred_at", "id")
    result = []
    for item in found:
        row: dict[str, Any] = {"date": item.occurred_at, "channel": item.channel,
                               "direction": item.direction, "subject": item.subject,
                               "notes": item.notes, "outcome": item.outcome}
        email = emails.get(item.pk)
        if email is not None:
            row["email"] = {name: getattr(email, name) for name in
                            ("from_address", "from_name", "to", "cc", "subject", "body_text")}
            row["email"]["attachments"] = [a.filename for a in email.attachments.all()]
        result.append(plain(row))
    return result


def export_tasks(subject: Subject) -> list[dict[str, Any]]:
    return [plain({"title": t.title, "due": t.due_at, "status": t.status, "notes": t.notes})
            for t in _theirs(Task, subject).order_by("created_at", "id")]


def export_web_forms(subject: Subject) -> list[dict[str, Any]]:
    """The submissions they sent: logged on their contact, or carrying one of their e-mail
    addresses as a value. Not every submission that mentions their name or phone: those are
    other people's (erasure still scrubs the mention from them)."""
    condition = Q(interaction__contact_id=subject.contact.pk)
    for address in subject.emails:
        if address:
            condition |= Q(_privacy_data__icontains=f'"{address}"')
    found = WebFormSubmission.all_objects.filter(
        organization_id=subject.organization_id).annotate(
        _privacy_data=Cast("data", TextField())).filter(condition)
    return [plain({"date": s.created_at, "form": s.form.name, "data": s.data})
            for s in found.select_related("form").order_by("created_at", "id")]


def erase_interactions(subject: Subject) -> None:
    """Their interactions, e-mails (raw message and attachments too) and threads lose their
    text; tasks about them their title and notes; mentions elsewhere go."""
    org = subject.organization_id
    emails = _emails(subject)
    email_ids = list(emails.values_list("pk", flat=True))
    files = Attachment.all_objects.filter(message_id__in=email_ids)
    delete_files_on_commit([*files.values_list("file", flat=True),
                            *emails.values_list("raw_path", flat=True)])
    files.delete()
    EmailMessage.all_objects.filter(pk__in=email_ids).update(
        from_address="", from_name="", to=[], cc=[], subject=MARK, body_text="", body_html="",
        raw_path="", references="")
    interactions = Interaction.all_objects.filter(
        Q(contact_id=subject.contact.pk) | Q(email__in=email_ids), organization_id=org)
    subject.mark(Interaction, interactions.values_list("pk", flat=True),
                 fields=("subject", "notes"))
    interactions.update(subject=MARK, notes="")
    _theirs(Thread, subject).update(subject=MARK)
    tasks = _theirs(Task, subject)
    subject.mark(Task, tasks.values_list("pk", flat=True), fields=("title", "notes"))
    tasks.update(title=MARK, notes="")
    scrub_org(subject, Interaction, "subject", "notes")
    scrub_org(subject, EmailMessage, *EMAIL_TEXT)
    scrub_org(subject, Attachment, "filename")
    scrub_org(subject, Thread, "subject")
    scrub_org(subject, Task, "title", "notes")
    scrub_org(subject, RejectedMessage, "reason")


def erase_web_forms(subject: Subject) -> None:
    scrub_org(subject, WebFormSubmission, "data")
