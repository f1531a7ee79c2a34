import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Stored files (the letters' PDF) under the test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
