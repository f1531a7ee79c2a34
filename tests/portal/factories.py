"""Portal users made as in production: staff invite a contact of the account (the service
queues the e-mail), the contact sets a password with the link's token."""

from __future__ import annotations

import re

from django.test import Client

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from vinculo.core.models import OutgoingEmail, User
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account
from vinculo.customers.services import contact_create
from vinculo.portal import services
from vinculo.portal.models import PortalUser

PORTAL_PASSWORD = "Cliente-Portal-2026"
LINK = re.compile(r"https?://[^/\s]+(/portal/invitation/([^/\s]+)/)")


def contact_of(admin: User, account: Account, first_name: str = "Ana", email: str = "",
               language: str = "es"):
    with as_user(admin):
        return contact_create(actor=admin, data={
            "first_name": first_name, "last_name": account.name.split()[0],
            "email": email or f"{first_name.lower()}@{account.name.split()[0].lower()}.example",
            "preferred_language": language}, accounts=[(account, "")])


def invitation_link(body: str) -> str:
    return LINK.search(body).group(1)


def portal_user(admin: User, account: Account | None = None, role: str = "buyer",
                first_name: str = "Ana", email: str = "", language: str = "es") -> PortalUser:
    """An invited contact who accepted (the invitation's token read from the queued e-mail)."""
    with as_user(admin):
        account = account or AccountFactory(actor=admin)
    contact = contact_of(admin, account, first_name, email, language)
    with as_user(admin):
        invited = services.portal_user_invite(actor=admin, account=account, contact=contact,
                                              role=role)
    mail = OutgoingEmail.objects.filter(to=invited.email).latest("id")
    token = LINK.search(mail.body).group(2)
    with organization_scope(admin.organization_id):
        return services.invitation_accept(token=token, password=PORTAL_PASSWORD)


def signed_in(user: PortalUser, client: Client | None = None) -> Client:
    """A browser signed in to the portal as ``user`` (through the sign-in page)."""
    client = client or Client()
    response = client.post("/portal/login/", {"email": user.email,
                                              "password": PORTAL_PASSWORD})
    assert response.status_code == 302, response.content
    return client
