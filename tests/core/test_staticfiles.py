"""`vinculo serve` collects the static files only when a source changed since the last time."""

from __future__ import annotations

import json
import os

from vinculo.core.staticfiles import collect_if_changed


def _manifest(root) -> dict[str, str]:
    return json.loads((root / "staticfiles.json").read_text())["paths"]


def test_collected_once_then_again_only_after_a_source_changes(settings, tmp_path):
    sources, root = tmp_path / "src", tmp_path / "static"
    sources.mkdir()
    (sources / "app.css").write_text("body { color: red }")
    settings.STATICFILES_DIRS = [sources]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = root

    assert collect_if_changed() is True  # nothing collected yet
    first = _manifest(root)["app.css"]
    assert (root / first).read_text() == "body { color: red }"
    assert collect_if_changed() is False  # same sources: the collected files stand

    (sources / "app.css").write_text("body { color: blue }")
    os.utime(sources / "app.css", ns=(1, 1))  # a different mtime even on a coarse clock
    assert collect_if_changed() is True
    second = _manifest(root)["app.css"]
    assert second != first and (root / second).read_text() == "body { color: blue }"

    (sources / "new.js").write_text("let a = 1;")  # a file added
    assert collect_if_changed() is True and "new.js" in _manifest(root)

    (root / "staticfiles.json").unlink()  # the collected files lost their manifest
    assert collect_if_changed() is True and "new.js" in _manifest(root)
