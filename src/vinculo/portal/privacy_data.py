"""What the portal holds about a contact (``core/privacy.py``): their portal users (address,
role, language, last sign-in) and what they did on the portal. At an erasure the portal users
are deactivated, lose their address and password, and the service account they acted as
(named "Portal <contact> (<account>)" in the audit log) loses the contact's name; the
activity rows stay without their free text."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.core.privacy import Subject, plain, scrub_org
from vinculo.portal.models import PortalActivity, PortalUser


def _users(subject: Subject) -> Any:
    return PortalUser.all_objects.filter(organization_id=subject.organization_id,
                                         contact_id=subject.contact.pk)


def export_portal(subject: Subject) -> list[dict[str, Any]]:
    result = []
    for person in _users(subject).select_related("account").order_by("created_at", "id"):
        result.append(plain({
            "email": person.email, "account": person.account.name,
            "role": person.get_role_display(), "language": person.language,
            "last_sign_in": person.last_login_at,
            "activity": [{"date": a.created_at, "action": a.get_action_display(),
                          "subject": a.subject}
                         for a in PortalActivity.all_objects.filter(portal_user=person)
                         .order_by("created_at", "id")]}))
    return result


def erase_portal(subject: Subject) -> None:
    people = list(_users(subject))
    for person in people:
        PortalUser.all_objects.filter(pk=person.pk).update(
            is_active=False, email=f"anonimo-{person.uuid}@invalid.invalid", password="",
            updated_at=timezone.now())
    subject.mark(PortalUser, [p.pk for p in people], fields=("email",))
    User.objects.filter(pk__in=[p.user_id for p in people]).update(
        last_name=_("anonymised contact"))
    PortalActivity.all_objects.filter(portal_user__in=[p.pk for p in people]).update(subject="")
    scrub_org(subject, PortalActivity, "subject")
