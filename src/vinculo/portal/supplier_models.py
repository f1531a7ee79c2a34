"""What a supplier says it can deliver of a product in a month (docs/architecture.md,
"Customer portal", supplier part).

Append-only: every confirmation or change is a new row with its author and time, and the
plan of a (product, month) is its latest row, so the history is the table itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.core.models import TenantModel


class SupplierPlan(TenantModel):
    """A supplier's confirmed quantity and delivery date for one product in one month."""

    supplier = models.ForeignKey("customers.Account", verbose_name=_("supplier"),
                                 on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"),
                                on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))  # its first day
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=2)
    delivery_on = models.DateField(_("delivery date"))
    # Who: the portal user (or None when staff entered it); the acting user either way.
    portal_user = models.ForeignKey("portal.PortalUser", on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+", editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", editable=False)

    audited = False  # the rows are the history

    owner_field = "supplier__owner"  # the rule of the record it belongs to
    team_field = "supplier__team"

    class Meta:
        ordering = ["product", "month", "-created_at", "-id"]
        verbose_name = _("supplier plan")
        verbose_name_plural = _("supplier plans")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0),
                                   name="supplierplan_quantity_positive"),
        ]
        indexes = [models.Index(fields=["organization", "supplier", "product", "month"],
                                name="supplierplan_supplier")]

    def __str__(self) -> str:
        return f"{self.product_id} {self.month:%Y-%m}: {self.quantity}"
