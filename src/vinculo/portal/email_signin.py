"""Sign-in by e-mailed link for portal users (docs/architecture.md, "Customer portal").

Nothing is stored: the link carries the portal user's id and a fingerprint of their sign-in
state (password hash, last sign-in, active flag, organisation, address), signed with the
project's secret and timestamped. It lasts ``VINCULO_PORTAL_LINK_MINUTES``; using it moves
the last sign-in, and a new password changes the hash, so either makes the link (and every
other pending one) worthless. Asking for a link answers the same, in the same time, whether or
not the address is known (the lookup runs in a background task), and each client and address
may ask only a few times per lock-out window.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from vinculo.core.mailqueue import email_queue, enqueue
from vinculo.core.tenancy import organization_scope
from vinculo.portal.models import PortalAction, PortalUser
from vinculo.portal.services import activity_record, language_of

SALT = "vinculo.portal.email-signin"


def _fingerprint(portal_user: PortalUser) -> str:
    last = portal_user.last_login_at.isoformat() if portal_user.last_login_at else ""
    state = (f"{portal_user.pk}|{portal_user.organization_id}|{portal_user.email}|"
             f"{portal_user.password}|{last}|{portal_user.is_active}")
    return salted_hmac(SALT, state).hexdigest()[:32]


def link_token(portal_user: PortalUser) -> str:
    """The signed token of a link for ``portal_user`` as they are now."""
    return signing.dumps({"u": portal_user.pk, "f": _fingerprint(portal_user)}, salt=SALT)


def link_url(token: str) -> str:
    return settings.SITE_URL + reverse("portal:link", kwargs={"token": token})


def _candidates(email: str) -> list[PortalUser]:
    """Who may get a link: active portal users (any organisation) of active accounts who
    already chose a password (an invitation not yet accepted is not a way in)."""
    return list(PortalUser.all_objects.select_related("organization").filter(
        email=(email or "").strip().lower(), is_active=True, account__active=True)
        .exclude(password=""))


def link_request(*, email: str) -> int:
    """E-mail a sign-in link to each portal user with this address; how many were sent (for
    the tests and the log only: the page says the same either way)."""
    sent = 0
    for portal_user in _candidates(email):
        token = link_token(portal_user)
        with organization_scope(portal_user.organization_id), \
                translation.override(language_of(portal_user)):
            organization = portal_user.organization
            subject = _("Your sign-in link to the portal of %(organization)s") % {
                "organization": organization}
            body = loader.render_to_string("portal/signin_link_email.txt", {
                "contact": portal_user.contact, "organization": organization,
                "link": link_url(token), "minutes": settings.VINCULO_PORTAL_LINK_MINUTES})
        email_queue(to=portal_user.email, subject=subject, body=body,
                    organization_id=portal_user.organization_id)
        sent += 1
    return sent


def link_request_enqueue(*, email: str) -> None:
    """What the request page calls: the lookup and the e-mail happen in a background task
    after the request commits, so the page costs the same for a known and an unknown
    address (no enumeration by timing either)."""
    from vinculo.portal.tasks import signin_link_send

    address = (email or "").strip().lower()
    transaction.on_commit(lambda: enqueue(signin_link_send, address))


def link_find(token: str) -> PortalUser | None:
    """The portal user a link still opens: signature good, not expired, state unchanged."""
    try:
        data = signing.loads(token or "", salt=SALT,
                             max_age=settings.VINCULO_PORTAL_LINK_MINUTES * 60)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    portal_user = (PortalUser.all_objects.select_related("account", "organization")
                   .filter(pk=data["u"], is_active=True, account__active=True).first())
    if portal_user is None or not constant_time_compare(
            str(data.get("f", "")), _fingerprint(portal_user)):
        return None
    return portal_user


@transaction.atomic
def link_use(*, token: str) -> PortalUser | None:
    """Sign-in with the link, once: the row is locked and the last sign-in moved, so the
    same link (or any other issued before) no longer matches."""
    portal_user = link_find(token)
    if portal_user is None:
        return None
    locked = PortalUser.all_objects.select_for_update().get(pk=portal_user.pk)
    if not constant_time_compare(_fingerprint(locked), _fingerprint(portal_user)):
        return None
    PortalUser.all_objects.filter(pk=locked.pk).update(last_login_at=timezone.now())
    activity_record(portal_user, PortalAction.SIGNED_IN_LINK)
    return portal_user
