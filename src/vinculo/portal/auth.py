"""The portal's own sign-in, beside (never inside) staff authentication.

A portal session holds ``_portal_user`` and a hash of the password; it never holds Django's
``_auth_user_id``, so ``request.user`` stays anonymous for every staff page and the API: they
refuse a portal user as they refuse anyone signed out (fail closed; ``tests/portal/
test_isolation.py`` walks them all). ``PortalView`` is the one door to portal pages: it finds
the portal user, enters their organisation's scope, acts as their service account, and speaks
their language in their organisation's time zone.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.http import urlencode
from django.views import View

from vinculo.core.audit import acting_as
from vinculo.core.tenancy import organization_scope
from vinculo.portal import selectors
from vinculo.portal.models import PortalUser
from vinculo.portal.services import language_of

SESSION_KEY = "_portal_user"
HASH_KEY = "_portal_user_hash"
#: Failed sign-ins per address and client before a pause (like django-axes for staff).
FAILURE_LIMIT, FAILURE_PAUSE = 5, 15 * 60


def session_hash(portal_user: PortalUser) -> str:
    """Changes with the password, so a new password ends the other sessions."""
    return salted_hmac("vinculo.portal.session", portal_user.password).hexdigest()


def sign_in(request: HttpRequest, portal_user: PortalUser) -> None:
    """A fresh session (no staff sign-in survives it: one browser, one kind of user)."""
    request.session.flush()
    request.session[SESSION_KEY] = portal_user.pk
    request.session[HASH_KEY] = session_hash(portal_user)


def sign_out(request: HttpRequest) -> None:
    request.session.flush()


def _failures_key(request: HttpRequest, email: str) -> str:
    return f"portal-signin:{request.META.get('REMOTE_ADDR', '')}:{email.strip().lower()}"


def locked_out(request: HttpRequest, email: str) -> bool:
    return int(cache.get(_failures_key(request, email), 0)) >= FAILURE_LIMIT


def failed(request: HttpRequest, email: str) -> None:
    key = _failures_key(request, email)
    cache.set(key, int(cache.get(key, 0)) + 1, FAILURE_PAUSE)


def succeeded(request: HttpRequest, email: str) -> None:
    cache.delete(_failures_key(request, email))


def _link_limits(request: HttpRequest, email: str) -> dict[str, int]:
    """The counters a request for an e-mailed link goes against, with their limits."""
    client = request.META.get("REMOTE_ADDR", "")
    address = email.strip().lower()
    limit = settings.VINCULO_PORTAL_LINK_REQUESTS
    return {f"portal-link:{client}:{address}": limit,  # one address from one client
            f"portal-link:{client}": 10 * limit,  # one client, whatever the addresses
            # one address, whatever the clients (changing addresses does not flood an inbox)
            f"portal-link-address:{address}": settings.VINCULO_PORTAL_LINK_REQUESTS_PER_ADDRESS}


def link_request_allowed(request: HttpRequest, email: str) -> bool:
    """Counts a request for an e-mailed link: a few per address and client, ten times that
    per client, and ``VINCULO_PORTAL_LINK_REQUESTS_PER_ADDRESS`` per address from any
    clients, in the lock-out window (from the first request counted); beyond any of them
    nothing is sent (the page says the same)."""
    limits = _link_limits(request, email)
    counts = cache.get_many(list(limits))
    if any(int(counts.get(key, 0)) >= limit for key, limit in limits.items()):
        return False
    for key in limits:
        if not cache.add(key, 1, FAILURE_PAUSE):
            try:
                cache.incr(key)
            except ValueError:  # expired in between
                cache.set(key, 1, FAILURE_PAUSE)
    return True


def current(request: HttpRequest) -> PortalUser | None:
    portal_user = selectors.session_user(request.session.get(SESSION_KEY))
    if portal_user is None or request.session.get(HASH_KEY) != session_hash(portal_user):
        return None
    return portal_user


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class PortalView(View):
    """Base of every signed-in portal page. ``section`` names the part of the portal the page
    belongs to; a portal role without it gets a 404, as for another account's record.

    Pages render at once (``render``), inside the scope: a lazy template response would
    render after the scope closed."""

    # Not a staff page: the staff tenancy walk (tests/core/test_tenancy.py) leaves it to the
    # portal's own walk, which signs in as portal users (tests/portal/test_isolation.py).
    public = True
    section: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        portal_user = current(request)
        if portal_user is None:
            target = reverse("portal:login")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        if self.section is not None and self.section not in selectors.sections(portal_user):
            raise Http404
        self.portal_user = portal_user
        request.portal_user = portal_user  # type: ignore[attr-defined]
        language = language_of(portal_user)
        request.LANGUAGE_CODE = language
        organization = portal_user.organization
        with organization_scope(portal_user.organization_id), \
                acting_as(portal_user.user, getattr(request, "request_id", None)), \
                timezone.override(_zone(organization.time_zone)), \
                translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            response.headers.setdefault("Cache-Control", "private, no-store")
            return response


def portal_context(portal_user: PortalUser) -> dict[str, Any]:
    """What the portal's layout shows: the organisation (name, logo), the account, the
    sections of the contact's role."""
    return {"portal_user": portal_user, "organization": portal_user.organization,
            "account": portal_user.account, "sections": selectors.sections(portal_user)}

