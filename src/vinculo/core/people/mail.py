"""The e-mails of user administration: the invitation and the password reset.

Both are written in the recipient's language and queued (``core.mailqueue``), so an SMTP
outage delays them instead of losing them while the page says they were sent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from vinculo.core.mailqueue import email_queue
from vinculo.core.models import OutgoingEmail, User


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def invitation_link(token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token})


def invitation_email(*, user: User, invited_by: User, token: str) -> OutgoingEmail:
    """Queue the invitation carrying the one-time link."""
    organization = user.organization
    with translation.override(_language(user)):
        subject = _("You are invited to %(organization)s on Vínculo") % {
            "organization": organization}
        body = loader.render_to_string("core/people/invitation_email.txt", {
            "user": user, "invited_by": invited_by, "organization": organization,
            "role": user.get_role_display(), "link": invitation_link(token),
            "days": settings.VINCULO_INVITATION_DAYS})
    return email_queue(to=user.email, subject=subject, body=body,
                       organization_id=user.organization_id)


def password_reset_context(user: User, *, domain: str = "", protocol: str = "") -> dict[str, Any]:
    """What Django's password-reset templates expect, for a reset started by an
    administrator (no request: the address is the site's, ``VINCULO_SITE_URL``)."""
    site = urlsplit(settings.SITE_URL)
    return {
        "email": user.email, "domain": domain or site.netloc, "site_name": "Vínculo",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)), "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": protocol or site.scheme or "https",
    }


def password_reset_email(*, context: dict[str, Any], to: str,
                         subject_template: str = "registration/password_reset_subject.txt",
                         body_template: str = "registration/password_reset_email.html",
                         html_template: str | None = None) -> OutgoingEmail:
    """Queue a password-reset e-mail rendered from Django's templates."""
    user = context["user"]
    with translation.override(_language(user)):
        subject = "".join(loader.render_to_string(subject_template, context).splitlines())
        body = loader.render_to_string(body_template, context)
        html = loader.render_to_string(html_template, context) if html_template else ""
    return email_queue(to=to, subject=subject, body=body, html_body=html,
                       organization_id=user.organization_id)
