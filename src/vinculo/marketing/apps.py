"""Marketing: campaigns on every channel to a segment, tracked responses, the lift over a
control group and the return on margin, and the next-best action for key customers."""

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import Contract, VinculoApp
from vinculo.core.roles import Role, only

_MARKETERS = only(Role.ADMIN, Role.MARKETING, Role.SALES_MANAGER)


class MarketingConfig(VinculoApp):
    name = "vinculo.marketing"
    label = "marketing"
    verbose_name = _("Marketing")
    contract = Contract(
        permissions={
            "marketing.view": _MARKETERS | only(Role.ANALYST, Role.READ_ONLY),
            "marketing.add": _MARKETERS,
            "marketing.change": _MARKETERS,
            "marketing.delete": _MARKETERS,
            "marketing.send": _MARKETERS,
        },
    )
