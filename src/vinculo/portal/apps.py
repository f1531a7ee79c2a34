from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import Contract, DemoGenerator, Event, VinculoApp
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
            "portal.view": ALL,  # who of an account uses the portal (the 360° panel)
            "portal.invite": only(Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP),
        },
        events=(
            Event("portal_user.invited", "A contact was invited to the customer portal.",
                  {"account": "the account's UUID", "role": "buyer, payable or technical"}),
            Event("portal_user.joined", "An invited contact set their password.",
                  {"account": "the account's UUID"}),
        ),
        demo=DemoGenerator("vinculo.portal.demo.generate", order=900),
        extensions={EXTENSION_POINT: (
            RecordPanel("portal", "portal:staff_panel", "portal.view", ("customers.account",),
                        order=30),
        )},
    )

    def ready(self) -> None:
        super().ready()
        from vinculo.core import roles
        from vinculo.portal.services import SERVICE_ACCOUNT_PREFIX, SERVICE_SCOPE

        roles.SERVICE_SCOPES[SERVICE_ACCOUNT_PREFIX] = SERVICE_SCOPE
