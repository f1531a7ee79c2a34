"""Fixtures of the webhook tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def local_receivers(settings):
    """The administrator's allowance for targets on this machine, stated by the test."""
    settings.VINCULO_WEBHOOK_ALLOW_PRIVATE = True
    settings.VINCULO_WEBHOOK_RETRY_SECONDS = [0]
    return settings
