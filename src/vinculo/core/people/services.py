"""Every write of user and team administration, with its guards.

The pages and the API call these; each checks ``core.manage_users``, runs in one transaction
and lets the audit log (``core.audit``: users and teams are audited) record what changed.
Users are never deleted — a deactivated user keeps authoring their history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.audit import acting_as
from vinculo.core.models import Invitation, Team, User
from vinculo.core.people import mail
from vinculo.core.roles import Role
from vinculo.core.services import ConflictError, org_id, refuse_unknown, require

#: How far each role reaches; nobody gives a role ranked above their own.
ROLE_RANK = {
    Role.ADMIN: 3,
    Role.SALES_MANAGER: 2,
    Role.SALES_REP: 1,
    Role.MARKETING: 1,
    Role.SERVICE_AGENT: 1,
    Role.ANALYST: 1,
    Role.READ_ONLY: 0,
}

USER_FIELDS = ("first_name", "last_name", "role", "team", "language")
TEAM_FIELDS = ("name", "lead", "members")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def role_check(actor: User, role: Any) -> str:
    """``role`` if it exists and ranks no higher than ``actor``'s own; else refused on
    ``role``."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role %(role)s; choose one of %(roles)s.")
                               % {"role": role, "roles": ", ".join(Role.values)}})
    if ROLE_RANK[Role(role)] > ROLE_RANK.get(Role(actor.role), -1):
        raise ValidationError({"role": _("You cannot give a role above your own.")})
    return str(role)


def _check_language(language: Any) -> str:
    language = str(language or "")
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    return language


def _check_team(organization_id: int, team: Team | None) -> Team | None:
    if team is not None and team.organization_id != organization_id:
        raise ValidationError({"team": _("Not found.")})
    return team


def _check_member(organization_id: int, user: User, field: str) -> None:
    if user.organization_id != organization_id:
        raise ValidationError({field: _("Not found.")})


def _keep_an_administrator(user: User, *, field: str) -> None:
    """Refuse to leave the organisation without an active administrator."""
    if user.role != Role.ADMIN or not user.is_active or user.organization_id is None:
        return
    # Every active administrator's row, in one order: two administrators demoting each other
    # at once queue on the same locks, and the second sees the first's change.
    admins = list(User.objects.select_for_update().filter(
        organization_id=user.organization_id, role=Role.ADMIN, is_active=True,
    ).order_by("pk").values_list("pk", flat=True))
    if not [pk for pk in admins if pk != user.pk]:
        raise ValidationError({field: _(
            "%(user)s is the organisation's last active administrator: make someone else an "
            "administrator first.") % {"user": user}})


def _bump(user: User, expected_version: int | None) -> None:
    if expected_version is None:
        User.objects.filter(pk=user.pk).update(version=F("version") + 1)
        user.version = User.objects.values_list("version", flat=True).get(pk=user.pk)
        return
    if not User.objects.filter(pk=user.pk, version=expected_version).update(
            version=F("version") + 1):
        current = User.objects.filter(pk=user.pk).values_list("version", flat=True).first()
        raise ConflictError(current or 0)
    user.version = expected_version + 1


def _save_user(user: User, fields: list[str], expected_version: int | None = None) -> User:
    _bump(user, expected_version)
    user.save(update_fields=[*fields, "updated_at"])
    return user


def _new_invitation(*, actor: User, user: User) -> Invitation:
    if user.organization_id is None:  # the platform's superuser is invited by nobody
        raise ValidationError({"user": _("Not found.")})
    now = timezone.now()
    Invitation.objects.filter(user=user, accepted_at__isnull=True,
                              revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization_id=user.organization_id, user=user, invited_by=actor,
        token_hash=_hash(token),
        expires_at=now + dt.timedelta(days=settings.VINCULO_INVITATION_DAYS))
    mail.invitation_email(user=user, invited_by=actor, token=token)
    invitation.clear_token = token  # type: ignore[attr-defined]  # for the caller, never stored
    return invitation


@transaction.atomic
def user_invite(*, actor: User, data: dict[str, Any]) -> User:
    """Create a user who cannot log in yet and e-mail them a one-time link to set their
    password (``invitation_accept``); they join with the role and team given here."""
    require(actor, "core.manage_users")
    organization_id = org_id(actor)
    refuse_unknown(data, ("email", *USER_FIELDS))
    email = str(data.get("email") or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": _("A user with this e-mail already exists.")})
    user = User(
        email=email, organization_id=organization_id, is_active=False,
        role=role_check(actor, data.get("role", Role.READ_ONLY)),
        team=_check_team(organization_id, data.get("team")),
        first_name=str(data.get("first_name") or "")[:150],
        last_name=str(data.get("last_name") or "")[:150],
        language=_check_language(data.get("language")))
    user.set_unusable_password()
    user.save()
    user.invitation = _new_invitation(actor=actor, user=user)  # type: ignore[attr-defined]
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, data: dict[str, Any],
                expected_version: int | None) -> User:
    """Change a user's name, role, team or language; the last administrator keeps the role."""
    require(actor, "core.manage_users")
    organization_id = org_id(actor)
    _check_member(organization_id, user, "user")
    refuse_unknown(data, USER_FIELDS)
    changed: list[str] = []
    if "role" in data and data["role"] != user.role:
        role = role_check(actor, data["role"])
        if role != Role.ADMIN:
            _keep_an_administrator(user, field="role")
        user.role = role
        changed.append("role")
    if "team" in data:
        user.team = _check_team(organization_id, data["team"])
        changed.append("team")
    for name in ("first_name", "last_name"):
        if name in data:
            setattr(user, name, str(data[name] or "")[:150])
            changed.append(name)
    if "language" in data:
        user.language = _check_language(data["language"])
        changed.append("language")
    return _save_user(user, changed, expected_version)


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    """The user can no longer log in or use their API tokens; their records and history stay
    theirs. Pending invitations stop working."""
    require(actor, "core.manage_users")
    _check_member(org_id(actor), user, "user")
    if not user.is_active and not _pending(user):
        return user
    if user.pk == actor.pk:  # locking oneself out is never what was meant
        raise ValidationError({"is_active": _("You cannot deactivate yourself.")})
    _keep_an_administrator(user, field="is_active")
    Invitation.objects.filter(user=user, accepted_at__isnull=True,
                              revoked_at__isnull=True).update(revoked_at=timezone.now())
    user.is_active = False
    return _save_user(user, ["is_active"])


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> User:
    """Let a deactivated user log in again, with the password they had."""
    require(actor, "core.manage_users")
    _check_member(org_id(actor), user, "user")
    if user.is_active:
        return user
    if not user.has_usable_password():
        raise ValidationError({"is_active": _(
            "This user never set a password: send them an invitation instead.")})
    user.is_active = True
    return _save_user(user, ["is_active"])


def _pending(user: User) -> bool:
    return Invitation.objects.filter(user=user, accepted_at__isnull=True,
                                     revoked_at__isnull=True).exists()


@transaction.atomic
def user_invitation_resend(*, actor: User, user: User) -> Invitation:
    """A new one-time link for a user who has not set a password yet (also one deactivated
    before accepting: accepting activates them); older links stop working."""
    require(actor, "core.manage_users")
    _check_member(org_id(actor), user, "user")
    if user.has_usable_password():
        raise ValidationError({"user": _(
            "%(user)s has already set a password: force a password reset instead.")
            % {"user": user}})
    return _new_invitation(actor=actor, user=user)


@transaction.atomic
def user_password_reset(*, actor: User, user: User) -> User:
    """Force a new password: the current one stops working (and every session with it) and
    the user is e-mailed a link to choose another."""
    require(actor, "core.manage_users")
    _check_member(org_id(actor), user, "user")
    if not user.is_active:
        raise ValidationError({"user": _("%(user)s is not active.") % {"user": user}})
    # A random password nobody knows, not an unusable one: Django's own reset form only
    # serves users with a usable password, so the user can still ask for a link later.
    user.set_password(secrets.token_urlsafe(32))
    _save_user(user, ["password"])
    mail.password_reset_email(context=mail.password_reset_context(user), to=user.email)
    return user


def invitation_find(token: str) -> Invitation | None:
    """The pending invitation a link's token names: not accepted, not revoked, not expired."""
    invitation = (Invitation.all_objects.select_related("user", "user__organization")
                  .filter(token_hash=_hash(token or "")).first())
    if invitation is None or not invitation.pending:
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the invitee's password (Django's password validators) and activate them; the link
    works once."""
    invitation = invitation_find(token)
    if invitation is None:
        raise ValidationError({"token": _("This invitation link has expired or was already "
                                          "used. Ask your administrator for a new one.")})
    locked = Invitation.all_objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise ValidationError({"token": _("This invitation link was already used.")})
    user = invitation.user
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    with acting_as(user):
        user.set_password(password)
        user.is_active = True
        _save_user(user, ["password", "is_active"])
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at", "updated_at"])
    return user


# ---- teams ----------------------------------------------------------------------------------


def team_create(*, actor: User, data: dict[str, Any]) -> Team:
    """A new team, with its lead and members."""
    return _team_save(actor=actor, team=None, data=data, expected_version=None)


def team_update(*, actor: User, team: Team, data: dict[str, Any],
                expected_version: int | None) -> Team:
    """Rename a team, change its lead, or set its members (``members``: the whole list)."""
    return _team_save(actor=actor, team=team, data=data, expected_version=expected_version)


@transaction.atomic
def _team_save(*, actor: User, team: Team | None, data: dict[str, Any],
               expected_version: int | None) -> Team:
    from vinculo.core.services import versioned_save

    require(actor, "core.manage_users")
    organization_id = org_id(actor)
    refuse_unknown(data, TEAM_FIELDS)
    creating = team is None
    team = team or Team(organization_id=organization_id)
    if creating or "name" in data:
        name = " ".join(str(data.get("name") or "").split())
        if not name:
            raise ValidationError({"name": _("The team needs a name.")})
        if len(name) > 100:
            raise ValidationError({"name": _("At most 100 characters.")})
        if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
            raise ValidationError({"name": _("A team with this name already exists.")})
        team.name = name
    if "lead" in data:
        lead = data["lead"]
        if lead is not None:
            _check_member(organization_id, lead, "lead")
            if not lead.is_active:
                raise ValidationError({"lead": _("Choose an active user.")})
        team.lead = lead
    members = data.get("members")
    if members is not None:
        for member in members:
            _check_member(organization_id, member, "members")
    fields: list[str] = [f for f in ("name", "lead") if f in data]
    if creating:
        team.save()
    elif fields:
        team = versioned_save(team, expected_version=expected_version, fields=fields)
    if members is not None:
        _team_members_set(team, list(members) + ([team.lead] if team.lead else []))
    elif team.lead is not None and team.lead.team_id != team.pk:
        _team_members_set(team, [*team.members.all(), team.lead])
    return team


def _team_members_set(team: Team, members: list[User]) -> None:
    wanted = {m.pk: m for m in members}
    for user in User.objects.filter(team=team).exclude(pk__in=wanted):
        user.team = None
        _save_user(user, ["team"])
    for user in wanted.values():
        if user.team_id != team.pk:
            user.team = team
            _save_user(user, ["team"])
