"""The links inside a campaign e-mail, reachable without signing in: the open pixel, the click
redirect and the unsubscribe page (with RFC 8058's one-click POST).

Each checks the link's signature before reading anything (``tracking``): a forged or altered
link is a 404 and records nothing. Nothing here lets anyone list or guess recipients.
"""

from __future__ import annotations

import base64
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from vinculo.core.models import Organization
from vinculo.core.tenancy import organization_scope
from vinculo.marketing import services, tracking
from vinculo.marketing.models import CampaignRecipient

#: A transparent 1×1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _recipient(kind: str, token: str, sig: str, url: str = "") -> CampaignRecipient:
    if not tracking.valid(kind, token, sig, url):
        raise Http404
    recipient = CampaignRecipient.objects.filter(token=token).first()
    if recipient is None:
        raise Http404
    return recipient


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex"
    return response


class OpenPixelView(View):
    public = True  # anyone may reach it: tests/marketing/test_tracking.py
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, token: str, sig: str) -> HttpResponse:
        if not tracking.valid("open", token, sig) or not services.recipient_open(token=token):
            raise Http404
        return _no_store(HttpResponse(PIXEL, content_type="image/gif"))


class ClickView(View):
    public = True
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, token: str, sig: str) -> HttpResponse:
        url = request.GET.get("u", "")
        if not url.startswith(("https://", "http://")):
            raise Http404
        if not tracking.valid("click", token, sig, url) \
                or not services.recipient_click(token=token):
            raise Http404
        return _no_store(HttpResponseRedirect(url))


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """GET shows a confirmation (link scanners fetch links; they must not unsubscribe
    anyone); POST — the page's button or the mail client's one-click request with
    ``List-Unsubscribe=One-Click`` (RFC 8058, sent without cookies, hence no CSRF token) —
    unsubscribes."""

    public = True
    http_method_names = ["get", "post"]

    def page(self, request: HttpRequest, recipient: CampaignRecipient, done: bool) -> Any:
        organization = Organization.objects.get(pk=recipient.organization_id)
        return _no_store(render(request, "marketing/unsubscribe.html", {
            "recipient": recipient, "organization": organization, "done": done}))

    def get(self, request: HttpRequest, token: str, sig: str) -> HttpResponse:
        recipient = _recipient("unsubscribe", token, sig)
        return self.page(request, recipient, done=recipient.unsubscribed_at is not None)

    def post(self, request: HttpRequest, token: str, sig: str) -> HttpResponse:
        recipient = _recipient("unsubscribe", token, sig)
        with organization_scope(recipient.organization_id):
            services.recipient_unsubscribe(recipient=recipient)
        return self.page(request, recipient, done=True)
