"""The service packages a loyalty tier may give, read without importing the app that owns
them: ``loyalty`` and ``packages`` sit on one layer and never import each other.

An app that keeps packages contributes to the extension point ``loyalty.packages`` a provider
``provider(organization_id) -> dict[uuid string, name]`` of the packages a tier may name; the
tier's checks and pages read the names here. A member reaching or losing a tier is told as the
domain event ``loyalty_tier.changed`` (with the package of each tier), and the packages app,
subscribed to it, gives or takes the package by its own rules (the dated record, approval of
downgrades).
"""

from __future__ import annotations

from vinculo.core import plugins

EXTENSION_POINT = "loyalty.packages"


def package_names(organization_id: int) -> dict[str, str]:
    """The active packages a tier may give, by UUID string (empty without a provider)."""
    names: dict[str, str] = {}
    for path in plugins.contributions(EXTENSION_POINT):
        names.update(plugins.resolve(path)(organization_id))
    return names
