"""Segments: saved rules (or hand-picked lists) over accounts and contacts, the analytics
included, whose members are materialised with the dates they entered and left.

Campaigns, service packages, loyalty and reports act on segments; they sit above this app.
"""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Contract,
    DemoGenerator,
    Event,
    Job,
    Menu,
    MenuItem,
    PersonalData,
    Subscriber,
    VinculoApp,
)
from vinculo.core.roles import Role, only

# Who works with segments: marketing builds them, managers and analysts read and build them.
_BUILDERS = only(Role.ADMIN, Role.MARKETING, Role.SALES_MANAGER, Role.ANALYST)


class SegmentsConfig(VinculoApp):
    name = "vinculo.segments"
    label = "segments"
    verbose_name = _("Segments")
    contract = Contract(
        url_prefix="segments/",
        api_routes=(ApiRoute("segments", "vinculo.segments.api.SegmentViewSet", "segment"),),
        permissions={
            "segments.view": _BUILDERS | only(Role.READ_ONLY),
            "segments.add": _BUILDERS,
            "segments.change": _BUILDERS,
            "segments.delete": _BUILDERS,
            "segments.export": _BUILDERS,
        },
        # The marketing menu: segments and the campaigns that act on them sit under it.
        menus=(Menu("marketing", _("Marketing"), order=65),),
        menu_items=(MenuItem("marketing", _("Segments"), "segments:segment_list",
                             "segments.view", order=10),),
        # After the nightly analytics recompute (the subscriber), and as a fallback on its own
        # when no recompute ran (a failed run, analytics switched off).
        # After analytics (900): the rules read the latest snapshot.
        demo=DemoGenerator("vinculo.segments.demo.generate", order=950,
                           estimate="vinculo.segments.demo.estimate"),
        jobs=(Job("segments_refresh", ("--all",), daily_at=dt.time(4, 30)),),
        events=(
            Event("segment.refreshed", "A segment's members were recomputed.",
                  {"segment": "the segment's UUID", "entered": "how many entered",
                   "left": "how many left", "members": "members now"}),
        ),
        subscribers=(Subscriber("snapshot.recomputed",
                                "vinculo.segments.services.on_snapshot_recomputed"),),
        # The fields a rule may name: segments' own, and whatever later apps add
        # (segments/rules/registry.py).
        extensions={"segments.fields": ("vinculo.segments.rules.builtin.fields",)},
        personal_data=(
            PersonalData("segments", _("Segments"),
                         "vinculo.segments.privacy.export_segments",
                         "vinculo.segments.privacy.erase_segments", order=60),
        ),
    )
