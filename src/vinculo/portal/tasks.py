"""The portal's background work: sending sign-in links, so the request page answers in the
same time whether or not the address is a portal user's (the lookup happens here)."""

from __future__ import annotations

from django_tasks import task


@task()
def signin_link_send(email: str) -> int:
    """E-mail a sign-in link to each portal user with ``email``; how many were sent."""
    from vinculo.portal import email_signin

    return email_signin.link_request(email=email)
