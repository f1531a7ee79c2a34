"""Business rules of interactions: log a contact, plan and complete tasks, public web forms.

E-mail (send, deliver, receive, poll, templates) lives beside this in ``mailing/``; the
agenda (tasks, reminders, calendar feed) in ``agenda/``.

Higher apps take part without this app importing them: every new interaction publishes
``interaction.logged`` (the service desk subscribes inside the transaction: a logged call on a
ticket is its first response, a customer's e-mail their answer), and the extension points of
``extensions.py`` say what a public web form creates and where a new e-mail belongs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events, plugins
from vinculo.core.models import TenantModel, User
from vinculo.core.roles import role_has
from vinculo.core.services import org_id, refuse_unknown, require, same_org, versioned_save
from vinculo.customers.models import Account, Contact
from vinculo.interactions.extensions import EMAIL_ROUTERS, INBOUND_FILTERS, WEB_FORM_HANDLERS
from vinculo.interactions.models import (
    Channel,
    Direction,
    Interaction,
    Outcome,
    Task,
    Thread,
    WebForm,
    WebFormKind,
    WebFormSubmission,
)


def web_form_handler(kind: str) -> Callable[..., Any] | None:
    """What another app makes of a submission of a web form of ``kind`` (a ticket…)."""
    for contribution in plugins.contributions(WEB_FORM_HANDLERS):
        if contribution.kind == kind:
            return plugins.resolve(contribution.handler)
    return None


def email_routers() -> list[Callable[..., Any]]:
    return [plugins.resolve(path) for path in plugins.contributions(EMAIL_ROUTERS)]


def inbound_filters() -> list[Callable[..., Any]]:
    return [plugins.resolve(path) for path in plugins.contributions(INBOUND_FILTERS)]


def interaction_announce(interaction: Interaction, actor: Any = None) -> None:
    """Publish ``interaction.logged``, inside the transaction that created the interaction."""
    events.publish("interaction.logged", record=interaction, actor=actor, data={
        "channel": interaction.channel, "direction": interaction.direction})


# ---- interactions -------------------------------------------------------------------------

INTERACTION_FIELDS = ("channel", "direction", "occurred_at", "duration_seconds", "subject",
                      "notes", "outcome", "account", "contact", "user")
#: A logged interaction happened; one planned for later is a task.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_DURATION = 24 * 3600


def related_set(instance: Interaction | Thread | Task, related: TenantModel | None) -> None:
    """Point ``instance``'s generic relation at ``related`` (a row of the same organisation)."""
    if related is None:
        instance.related_type, instance.related_id = None, None
        return
    if related.organization_id != instance.organization_id:
        raise ValidationError({"related": _("Not found.")})
    instance.related_type = ContentType.objects.get_for_model(type(related))
    instance.related_id = related.pk


def primary_account(contact: Contact | None) -> Account | None:
    """The account a contact speaks for: the primary membership, else their only one."""
    if contact is None:
        return None
    memberships = list(contact.memberships.select_related("account")
                       .order_by("-is_primary", "id")[:2])
    if memberships and (memberships[0].is_primary or len(memberships) == 1):
        return memberships[0].account
    return None


def _clean_interaction(interaction: Interaction) -> None:
    errors: dict[str, str] = {}
    if interaction.channel not in Channel.values:
        errors["channel"] = _("Choose a channel.")
    if interaction.direction not in Direction.values:
        errors["direction"] = _("Choose inbound or outbound.")
    if interaction.outcome and interaction.outcome not in Outcome.values:
        errors["outcome"] = _("Unknown outcome.")
    if interaction.occurred_at and interaction.occurred_at > timezone.now() + FUTURE_TOLERANCE:
        errors["occurred_at"] = _("An interaction is something that happened; plan a future "
                                  "one as a task.")
    duration = interaction.duration_seconds
    if duration is not None and not 0 <= duration <= MAX_DURATION:
        errors["duration_seconds"] = _("Between 0 and 24 hours.")
    if interaction.account_id is None and interaction.contact_id is None \
            and interaction.related_id is None:
        errors["contact"] = _("Say who it was with: a contact, an account or a record.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def interaction_log(*, actor: User, data: dict[str, Any],
                    related: TenantModel | None = None) -> Interaction:
    """Record a contact that happened: a call, a visit, a letter…

    The handler defaults to the actor and the account to the contact's primary account.
    """
    require(actor, "interactions.add")
    refuse_unknown(data, INTERACTION_FIELDS)
    organization_id = org_id(actor)
    same_org(organization_id, account=data.get("account"), contact=data.get("contact"))
    user = data.get("user") or actor
    if user.organization_id != organization_id:
        raise ValidationError({"user": _("Not found.")})
    interaction = Interaction(organization_id=organization_id, **{**data, "user": user})
    if interaction.account_id is None:
        interaction.account = primary_account(interaction.contact)
    related_set(interaction, related)
    if interaction.occurred_at is None:
        interaction.occurred_at = timezone.now()
    _clean_interaction(interaction)
    interaction.save()
    interaction_announce(interaction, actor)
    return interaction


@transaction.atomic
def interaction_update(*, actor: User, interaction: Interaction, data: dict[str, Any],
                       expected_version: int | None) -> Interaction:
    require(actor, "interactions.change")
    editable = set(INTERACTION_FIELDS) - {"channel", "direction"}
    unknown = set(data) - editable
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.")
                               for name in sorted(unknown)})
    same_org(interaction.organization_id, account=data.get("account"),
              contact=data.get("contact"))
    for key, value in data.items():
        setattr(interaction, key, value)
    _clean_interaction(interaction)
    return versioned_save(interaction, expected_version=expected_version, fields=list(data))


@transaction.atomic
def interaction_delete(*, actor: User, interaction: Interaction) -> None:
    require(actor, "interactions.delete")
    interaction.delete()


# ---- public web forms -----------------------------------------------------------------------

WEB_FORM_FIELDS = ("name", "kind", "owner", "active", "thank_you", "max_per_hour")
#: What a visitor may send, and how long each value may be.
SUBMISSION_FIELDS = {"name": 200, "email": 254, "phone": 40, "company": 200, "subject": 300,
                     "message": 5000}
RATE_WINDOW = dt.timedelta(hours=1)


class SpamError(Exception):
    """The honeypot was filled in or the form came back too fast: a robot."""


class RateLimitedError(Exception):
    """Too many submissions from the same visitor in the last hour."""


def web_form_create(*, actor: User, data: dict[str, Any]) -> WebForm:
    """A new public form. Its submissions are made in the owner's name, so the owner must be
    an active user of the organisation who may create what the form creates."""
    return _web_form_save(actor=actor, data=data)


def web_form_update(*, actor: User, form: WebForm, data: dict[str, Any],
                    expected_version: int | None) -> WebForm:
    """Change a public form (same rules as creating one); refused (``ConflictError``) when it
    is no longer at ``expected_version``."""
    return _web_form_save(actor=actor, data=data, form=form,
                          expected_version=expected_version)


@transaction.atomic
def _web_form_save(*, actor: User, data: dict[str, Any], form: WebForm | None = None,
                   expected_version: int | None = None) -> WebForm:
    require(actor, "interactions.manage")
    refuse_unknown(data, WEB_FORM_FIELDS)
    owner = data.get("owner", form.owner if form else None)
    if owner is None or owner.organization_id != actor.organization_id:
        raise ValidationError({"owner": _("Choose a user of your organisation.")})
    kind = data.get("kind", form.kind if form else "")
    if kind not in WebFormKind.values:
        raise ValidationError({"kind": _("Choose what the form creates.")})
    if not owner.is_active:
        raise ValidationError({"owner": _("Choose an active user.")})
    if kind == WebFormKind.CONTACT and not role_has(owner.role, "customers.add"):
        raise ValidationError({"owner": _("Choose a user whose role may create leads.")})
    creating = form is None
    if form is None:
        form = WebForm(organization_id=org_id(actor))
    for key, value in data.items():
        setattr(form, key, value)
    form.full_clean(exclude=["organization"])
    if creating:
        form.save()
        return form
    return versioned_save(form, expected_version=expected_version, fields=list(data))


def client_hash(organization_id: int, address: str) -> str:
    """The visitor's address, hashed with the site's secret: counted, never stored."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|{organization_id}|{address}".encode()
                          ).hexdigest()


def _submission_clean(data: dict[str, Any]) -> dict[str, str]:
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, limit in SUBMISSION_FIELDS.items():
        value = str(data.get(name) or "").strip()
        if len(value) > limit:
            errors[name] = _("At most %(n)d characters.") % {"n": limit}
        clean[name] = value
    if not clean["name"]:
        errors["name"] = _("Tell us your name.")
    if not clean["email"]:
        errors["email"] = _("We need an e-mail address to answer you.")
    else:
        try:
            validate_email(clean["email"])
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address.")
        clean["email"] = clean["email"].lower()
    if not clean["message"]:
        errors["message"] = _("Write your message.")
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def web_form_submit(*, form: WebForm, data: dict[str, Any], client_address: str,
                    honeypot: str = "", elapsed_seconds: float | None = None,
                    reference: str = "") -> Interaction:
    """Take a visitor's submission: a lead (contact form) or a ticket, and an interaction.

    Refused without writing anything: a filled honeypot or a form sent back in under two
    seconds (``SpamError``), more than ``form.max_per_hour`` from the same visitor
    (``RateLimitedError``), bad fields (``ValidationError`` naming them). ``reference`` is
    what the form's address carried (``?campaign=…``), passed on in ``web_form.submitted``
    for whoever attributes submissions (marketing's web-form campaigns).
    """
    from vinculo.customers import selectors as customer_selectors
    from vinculo.customers import services as customer_services

    if not form.active:
        raise ValidationError(_("This form is closed."))
    if honeypot or (elapsed_seconds is not None and elapsed_seconds < 2):
        raise SpamError()
    visitor = client_hash(form.organization_id, client_address)
    WebForm.all_objects.select_for_update().filter(pk=form.pk).first()  # one count at a time
    recent = WebFormSubmission.all_objects.filter(
        form=form, client_hash=visitor, created_at__gte=timezone.now() - RATE_WINDOW).count()
    if recent >= form.max_per_hour:
        raise RateLimitedError()
    clean = _submission_clean(data)
    contact = customer_selectors.contact_match(organization_id=form.organization_id,
                                               email=clean["email"])
    owner = form.owner
    interaction = Interaction(
        organization_id=form.organization_id, channel=Channel.WEB_FORM,
        direction=Direction.INBOUND, subject=clean["subject"] or str(form), notes=clean["message"],
        contact=contact, account=primary_account(contact), occurred_at=timezone.now())
    if form.kind == WebFormKind.CONTACT:
        first, _sep, last = clean["name"].partition(" ")
        lead = customer_services.lead_create(actor=owner, data={
            "first_name": first, "last_name": last, "email": clean["email"],
            "phone": clean["phone"], "company_name": clean["company"], "source": "web",
            "notes": clean["message"], "owner": owner})
        related = lead
    else:
        handler = web_form_handler(form.kind)
        if handler is None:
            raise ValidationError(_("This form cannot take submissions yet."))
        related = handler(form=form, data=clean, contact=contact)
    related_set(interaction, related)
    related_account_id = getattr(related, "account_id", None)  # a ticket's, a lead has none
    if interaction.account_id is None and related_account_id:
        interaction.account_id = related_account_id
    interaction.save()
    WebFormSubmission.all_objects.create(organization_id=form.organization_id, form=form,
                                         client_hash=visitor, data=clean,
                                         interaction=interaction)
    interaction_announce(interaction)
    events.publish("web_form.submitted", record=form, data={
        "kind": form.kind, "interaction": str(interaction.uuid),
        "related": str(related.uuid) if related is not None else None,
        "reference": (reference or "")[:100]})
    return interaction
