"""Plotly's own CSS as a file, for a Content-Security-Policy without inline styles.

When ``plotly.min.js`` loads it inserts its CSS rules into a ``<style>`` element it creates,
which ``style-src 'self'`` refuses. It skips that when the page already holds an element with
the id ``plotly.js-style-global`` and the class ``no-inline-styles`` (plotly.js ≥ 2.35), so
``templates/analytics/_plotly.html`` links ``static/vinculo/plotly.css`` under that id. This
module derives the file from the installed ``plotly.min.js`` (its rules are a literal object:
selector → declarations, with ``X`` for the plot and ``Y`` for the notifier), and
``tests/core/test_csp.py`` fails when an upgrade of plotly changes them (maplibre's CSS, for
map traces, is injected the same way unless an element bears its id: it is in the file too):

    .venv/bin/python -m vinculo.analytics.plotly_css > src/vinculo/static/vinculo/plotly.css
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from vinculo.analytics.staticfiles import NAME, _directory

_START = '{"X,X div":'
# maplibre's CSS (map traces), which plotly.min.js injects unless an element has this id
_MAPLIBRE = re.compile(r"e\.id=\"([0-9a-f]{64})\",e\.textContent='([^']*)'")
_PAIR = re.compile(r'\s*(?:"([^"]*)"|([A-Za-z]+)):(?:"([^"]*)"|\'([^\']*)\')\s*(,|\})')


def rules(script: str) -> list[tuple[str, str]]:
    """(selector, declarations) as plotly.min.js inserts them, in its order."""
    start = script.index(_START)
    position, found = start + 1, []
    while True:
        match = _PAIR.match(script, position)
        if match is None:
            raise ValueError(f"unexpected text in plotly's CSS rules at {position}")
        key = match.group(1) if match.group(1) is not None else match.group(2)
        value = match.group(3) if match.group(3) is not None else match.group(4)
        selector = (key.replace("X", ".js-plotly-plot .plotly")
                    .replace("Y", ".plotly-notifier"))
        found.append((selector, value))
        position = match.end()
        if match.group(5) == "}":
            return found


def script() -> str:
    return (_directory() / NAME).read_text(encoding="utf-8")


def maplibre(script: str) -> tuple[str, str]:
    """The id plotly.min.js looks for before injecting maplibre's CSS, and that CSS."""
    match = _MAPLIBRE.search(script)
    if match is None:
        raise ValueError("plotly.min.js no longer injects maplibre's CSS as expected")
    return match.group(1), match.group(2)


def pixelated_style(script: str) -> str:
    """The style attribute Plotly sets on a heatmap drawn as an image (pixelated rendering):
    a constant, allowed by its hash in the policy's style-src-attr (settings.py)."""
    match = re.search(r"CSS_DECLARATIONS=(\[\[.*?\]\]);", script)
    if match is None:
        raise ValueError("plotly.min.js no longer declares its image-rendering style")
    return "".join(f"{name}: {value}; " for name, value in json.loads(match.group(1)))


def style_hash(style: str) -> str:
    """The CSP source expression that allows exactly ``style``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


def maplibre_id() -> str:
    return maplibre(script())[0]


def css() -> str:
    text = script()
    body = "\n".join(f"{selector} {{{declarations}}}" for selector, declarations in rules(text))
    return ("/* Plotly's CSS, derived from the installed plotly.min.js by "
            "vinculo.analytics.plotly_css. */\n" + body + "\n" + maplibre(text)[1] + "\n")


if __name__ == "__main__":
    print(css(), end="")
