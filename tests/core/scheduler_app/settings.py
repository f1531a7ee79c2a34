"""The product's settings plus the test app with the fast jobs."""

from vinculo.settings import *  # noqa: F403
from vinculo.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.core.scheduler_app"]
