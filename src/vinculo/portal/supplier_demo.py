"""The demo's supplier: an account marked as a supplier of the five best-selling products,
with one supplier portal user, ``proveedor@<the demo's domain>`` (the demo's password), so
the supplier portal and staff's supplier plan can be walked on demo data."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from vinculo.catalog.models import Product, ProductSupplier
from vinculo.core.demo import DemoContext, demo_domain
from vinculo.customers.models import Account, AccountContact
from vinculo.portal.models import PortalRole, PortalUser
from vinculo.portal.services import service_account_create
from vinculo.sales.models import OrderLine

DEMO_LOCAL = "proveedor"
PRODUCTS = 5


def demo_email(organization_name: str) -> str:
    return f"{DEMO_LOCAL}@{demo_domain(organization_name)}"


def generate(ctx: DemoContext, exclude: Account | None) -> int:
    """Inside the organisation's scope (the caller's): 1 when the supplier was made."""
    org, admin = ctx.organization, ctx.users["admin"]
    account = (Account.objects.filter(active=True, memberships__isnull=False)
               .exclude(pk=getattr(exclude, "pk", None))
               .annotate(n=Count("memberships")).order_by("n", "id").first())
    top = list(OrderLine.objects.filter(product__isnull=False).values("product")
               .annotate(q=Sum("quantity")).order_by("-q", "product")
               .values_list("product", flat=True)[:PRODUCTS])
    if account is None or not top:
        return 0
    Account.objects.filter(pk=account.pk).update(is_supplier=True)
    for k, product in enumerate(Product.objects.filter(pk__in=top)):
        ProductSupplier.objects.create(
            organization=org, product=product, supplier=account,
            supplier_code=f"PRV-{k + 1:03d}", lead_time_days=7 * (k + 1),
            cost=(product.cost_price or Decimal(0)), currency=product.currency)
    membership = (AccountContact.objects.filter(account=account).select_related("contact")
                  .order_by("-is_primary", "id").first())
    assert membership is not None
    contact = membership.contact
    PortalUser.objects.create(
        organization=org, account=account, contact=contact, email=demo_email(org.name),
        role=PortalRole.SUPPLIER, user=service_account_create(org.pk, contact, account),
        invited_by=admin, password=admin.password, is_active=True, language="")
    return 1
