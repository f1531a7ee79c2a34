"""Staff pages do not exist for a portal session (issue 13: a portal user gets 404 for every
staff page and API).

A portal user's session holds no staff user, so every staff page and API route already refuses
it as it refuses someone signed out: a redirect to the staff sign-in, 401 or 403. This turns
those refusals into the 404 page for a portal session, so the staff side does not even say
that the page exists. It acts on the answer, not on a list of routes: public pages (the staff
sign-in itself, an unsubscribe link, a web form, the portal) answer a portal session as
before, and a page added later is covered without being listed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import resolve_url

from vinculo.portal.auth import SESSION_KEY

REFUSED = (401, 403)


class StaffPagesNotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if (session is None or SESSION_KEY not in session
                or (user is not None and user.is_authenticated)):
            return response
        if response.status_code in REFUSED or _to_staff_sign_in(response):
            raise Http404  # rendered by the wrapper around this middleware, as any 404
        return response


def _to_staff_sign_in(response: HttpResponseBase) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    target = str(response.get("Location", "")).split("?", 1)[0]
    return target == resolve_url(settings.LOGIN_URL)
