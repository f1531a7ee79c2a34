"""Service packages: what the company promises each class of customers (service level, prices,
delivery, payment, people, channels, included services, offers), assigned by rules over the
analytics snapshot after every recompute or by hand, and applied by the lower apps through
``core.account_terms`` — they never import this app."""

from django.utils.translation import gettext_lazy as _

from vinculo.core.account_terms import EXTENSION_POINT as TERMS
from vinculo.core.plugins import (
    ApiRoute,
    Contract,
    CostDriver,
    DemoGenerator,
    Event,
    MenuItem,
    Subscriber,
    VinculoApp,
)
from vinculo.core.record_panels import EXTENSION_POINT as PANELS
from vinculo.core.record_panels import RecordPanel
from vinculo.core.roles import ALL, Role, only

_MANAGERS = only(Role.ADMIN, Role.SALES_MANAGER)
_CHANGE = {"from": "UUID of the package left, or null", "to": "UUID of the package given, "
           "or null", "decided_by": "rule, manual or approval"}


class PackagesConfig(VinculoApp):
    name = "vinculo.packages"
    label = "packages"
    verbose_name = _("Service packages")
    contract = Contract(
        url_prefix="packages/",
        api_routes=(
            ApiRoute("packages", "vinculo.packages.api.PackageViewSet", "package"),
            ApiRoute("package-changes", "vinculo.packages.api.PackageChangeViewSet",
                     "package-change"),
        ),
        permissions={
            "packages.view": ALL,
            "packages.manage": _MANAGERS,
            "packages.assign": _MANAGERS | only(Role.SALES_REP),
            "packages.approve": _MANAGERS,
        },
        menu_items=(
            MenuItem("customers", _("Service packages"), "packages:package_list",
                     "packages.view", section=2, order=10),
            MenuItem("customers", _("Changes of package"), "packages:change_list",
                     "packages.view", section=2, order=20),
            MenuItem("settings", _("Service packages"), "packages:package_list",
                     "packages.manage", section=12, order=20),
        ),
        # After segments (950): packages may be defined by segment membership.
        demo=DemoGenerator("vinculo.packages.demo.generate", order=960),
        cost_drivers=(CostDriver("package_services", _("Included services (money)"),
                                 "vinculo.packages.selectors.included_cost", order=90),),
        events=(
            Event("package.changed", "A customer moved to another service package (or left "
                  "one).", _CHANGE),
            Event("package.change_pending", "A downgrade of a customer's package waits for a "
                  "manager's approval.", _CHANGE),
        ),
        subscribers=(Subscriber("snapshot.recomputed",
                                "vinculo.packages.services.on_snapshot_recomputed"),
                     # a loyalty tier with a package benefit gives it; losing it takes it back
                     Subscriber("loyalty_tier.changed",
                                "vinculo.packages.services.on_loyalty_tier_changed")),
        timeline=("vinculo.packages.selectors.timeline",),
        extensions={
            TERMS: ("vinculo.packages.selectors.account_terms",),
            "segments.fields": ("vinculo.packages.segment_fields.fields",),
            "loyalty.packages": ("vinculo.packages.selectors.package_names",),
            PANELS: (RecordPanel("service_package", "packages:account_panel", "packages.view",
                                 ("customers.account",), order=6),),
        },
    )
