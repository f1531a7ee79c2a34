"""Reads of user and team administration."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.core.models import SERVICE_ACCOUNT_DOMAIN, Invitation, Team, User

STATUS_LABELS = {"active": _("Active"), "invited": _("Invited"),
                 "deactivated": _("Deactivated")}


def users_of(organization_id: int) -> QuerySet[User]:
    """The organisation's users with ``invited`` (an invitation not yet accepted nor revoked),
    for lists and the API."""
    pending = Invitation.all_objects.filter(user=OuterRef("pk"), accepted_at__isnull=True,
                                            revoked_at__isnull=True)
    return (User.objects.filter(organization_id=organization_id)
            .exclude(email__endswith=f"@{SERVICE_ACCOUNT_DOMAIN}").select_related("team")
            .annotate(invited=Exists(pending)))


def user_status(user: User) -> str:
    """``active``, ``invited`` (has not accepted yet) or ``deactivated``."""
    if user.is_active:
        return "active"
    return "invited" if getattr(user, "invited", False) else "deactivated"


def teams_of(organization_id: int) -> QuerySet[Team]:
    """The organisation's teams with their lead and how many active members they have."""
    return (Team.all_objects.filter(organization_id=organization_id).select_related("lead")
            .annotate(member_count=Count("members", filter=Q(members__is_active=True))))


def active_users(organization_id: int) -> QuerySet[User]:
    return User.objects.filter(organization_id=organization_id, is_active=True).order_by(
        "first_name", "last_name", "email")
