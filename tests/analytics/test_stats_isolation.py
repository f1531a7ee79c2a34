"""The statistics library imports no Django: it runs (and is tested) without a project."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import vinculo.analytics.stats as stats

MODULES = ["vinculo.analytics.stats"] + [
    f"vinculo.analytics.stats.{info.name}" for info in pkgutil.iter_modules(stats.__path__)
]


def test_every_library_module_is_listed() -> None:
    assert {"vinculo.analytics.stats.bgnbd", "vinculo.analytics.stats.summary",
            "vinculo.analytics.stats.forecast", "vinculo.analytics.stats._mle",
            "vinculo.analytics.stats.uncertainty",
            "vinculo.analytics.stats.bgbb", "vinculo.analytics.stats.sbg",
            "vinculo.analytics.stats.covariates", "vinculo.analytics.stats.holdout"} <= set(MODULES)
    assert len(MODULES) == 21  # + _pareto_special, limits


@pytest.mark.parametrize("module", MODULES)
def test_importing_loads_no_django(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')"
        " or m == 'rest_framework' or m.startswith('rest_framework.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == ""
