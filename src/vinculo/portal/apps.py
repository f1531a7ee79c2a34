from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Contract,
    DemoGenerator,
    Event,
    MenuItem,
    PersonalData,
    VinculoApp,
)
from vinculo.core.record_panels import EXTENSION_POINT, RecordPanel
from vinculo.core.roles import ALL, Role, only


class PortalConfig(VinculoApp):
    """The customer portal: contacts of an account sign in at /portal/ and see and act on
    their own company's documents (docs/architecture.md, "Customer portal")."""

    name = "vinculo.portal"
    label = "portal"
    verbose_name = _("Customer portal")
    contract = Contract(
        url_prefix="portal/",
        permissions={
            # who of an account uses the portal (the 360° panel); the supplier plans' API
            "portal.view": ALL,
            "portal.invite": only(Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP),
            # enter or correct a supplier's plan line on the supplier plan page
            "portal.plan": only(Role.ADMIN, Role.SALES_MANAGER),
        },
        events=(
            Event("portal_user.invited", "A contact was invited to the customer portal.",
                  {"account": "the account's UUID",
                   "role": "buyer, payable, technical or supplier"}),
            Event("portal_user.joined", "An invited contact set their password.",
                  {"account": "the account's UUID"}),
            Event("supplier_plan.confirmed",
                  "A supplier (or staff for it) confirmed or changed what it can deliver of a "
                  "product in a month.",
                  {"product": "the product's UUID", "month": "YYYY-MM",
                   "quantity": "the quantity it can deliver", "delivery_on": "ISO date",
                   "entered_by": "supplier (on the portal) or staff"}),
        ),
        api_routes=(
            ApiRoute("portal/supplier-plans", "vinculo.portal.api.SupplierPlanViewSet",
                     "portal-supplier-plan"),
        ),
        demo=DemoGenerator("vinculo.portal.demo.generate", order=900),
        # The supplier plan beside the forecast, in the analytics dropdown next to it.
        menu_items=(MenuItem("analytics", _("Supplier plan"), "portal:staff_supply",
                             permission="analytics.view", order=3),),
        extensions={EXTENSION_POINT: (
            RecordPanel("portal", "portal:staff_panel", "portal.view", ("customers.account",),
                        order=30),
        )},
        personal_data=(
            PersonalData("portal", _("Customer portal"),
                         "vinculo.portal.privacy_data.export_portal",
                         "vinculo.portal.privacy_data.erase_portal", order=90),
        ),
    )

    def ready(self) -> None:
        super().ready()
        from vinculo.core import roles
        from vinculo.portal.services import SERVICE_ACCOUNT_PREFIX, SERVICE_SCOPE

        roles.SERVICE_SCOPES[SERVICE_ACCOUNT_PREFIX] = SERVICE_SCOPE
