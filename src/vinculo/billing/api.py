"""REST API of the billing app."""

from typing import Any


def register(router: Any) -> None:
    """Add this app's viewsets to the API router."""
