"""The cost drivers of the cost to serve: whatever the apps declare (``Contract.cost_drivers``).

Analytics names no activity itself: sales counts orders and deliveries, billing invoices and
returns, interactions calls, visits, e-mails and handling minutes, the service desk tickets. A
driver declared by two apps adds their counts (and takes the first one's label).
"""

from __future__ import annotations

from vinculo.core import plugins
from vinculo.core.cost_drivers import Counter


def _declared() -> list[plugins.CostDriver]:
    return sorted(plugins.collect("cost_drivers"), key=lambda d: (d.order, d.name))


def names() -> tuple[str, ...]:
    """Every driver's name, once each, in the declared order (the snapshot's columns)."""
    return tuple(dict.fromkeys(d.name for d in _declared()))


def labels() -> dict[str, str]:
    """name -> label in the active language."""
    found: dict[str, str] = {}
    for driver in _declared():
        found.setdefault(driver.name, str(driver.label))
    return found


def counters(name: str) -> list[Counter]:
    return [plugins.resolve(d.count) for d in _declared() if d.name == name]
