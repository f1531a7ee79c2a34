"""One portal user for the demo: a buyer of the account with the most issued invoices, who
signs in at /portal/ as ``cliente@<the demo's domain>`` with the demo's password (the one
``vinculo demo`` prints for every user), so the portal can be walked on demo data."""

from __future__ import annotations

from django.db.models import Count

from vinculo.billing.models import Invoice
from vinculo.core.demo import DemoContext, demo_domain
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account, AccountContact
from vinculo.portal.models import PortalRole, PortalUser
from vinculo.portal.services import service_account_create

DEMO_LOCAL = "cliente"


def demo_email(organization_name: str) -> str:
    return f"{DEMO_LOCAL}@{demo_domain(organization_name)}"


def generate(ctx: DemoContext) -> dict[str, int]:
    org = ctx.organization
    admin = ctx.users["admin"]
    with organization_scope(org):
        account = _busiest()
        if account is None:
            return {"portal users": 0}
        membership = (AccountContact.objects.filter(account=account)
                      .select_related("contact").order_by("-is_primary", "id").first())
        if membership is None:
            return {"portal users": 0}
        contact = membership.contact
        PortalUser.objects.create(
            organization=org, account=account, contact=contact, email=demo_email(org.name),
            role=PortalRole.BUYER, user=service_account_create(org.pk, contact, account),
            invited_by=admin, password=admin.password, is_active=True,
            language=contact.preferred_language or "")
        from vinculo.portal import supplier_demo

        suppliers = supplier_demo.generate(ctx, exclude=account)
    ctx.progress.update(1)
    return {"portal users": 1 + suppliers}


def _busiest() -> Account | None:
    """The account with the most issued invoices among those with a contact."""
    row = (Invoice.objects.exclude(status="draft")
           .filter(account__active=True, account__memberships__isnull=False)
           .values("account").annotate(n=Count("id", distinct=True)).order_by("-n", "account")
           .first())
    return Account.objects.filter(pk=row["account"]).first() if row else None
