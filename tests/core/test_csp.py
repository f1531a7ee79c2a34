"""Content-Security-Policy: every page answers with a policy that allows scripts and styles
only from our own files, in the development and the production profile, and nothing in the
templates needs an inline script, style or event handler to work (the browser proof, with
htmx and Plotly at work, is tests/browser/test_csp.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import vinculo
from vinculo.analytics import plotly_css
from vinculo.core.roles import Role

TEMPLATES = Path(vinculo.__file__).parent / "templates"
STATIC = Path(vinculo.__file__).parent / "static"

# What a browser refuses under script-src/style-src 'self': inline <script> (one without src),
# <style> elements, style="" attributes, on*= handlers, and htmx's hx-on (evaluated code).
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "hx-on": re.compile(r"\s(hx|data-hx)-on", re.I),
}


# what Plotly sets as style="" attributes: nothing (colour bars), and the image-rendering of
# heatmaps drawn as images, read from the installed plotly.min.js
PLOTLY_STYLES = {plotly_css.style_hash(""),
                 plotly_css.style_hash(plotly_css.pixelated_style(plotly_css.script()))}


def directives(header: str) -> dict[str, set[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in parts}


def assert_strict(header: str | None) -> None:
    assert header, "no Content-Security-Policy header"
    policy = directives(header)
    assert policy["script-src"] == {"'self'"}
    assert policy["style-src"] == {"'self'"}
    assert policy["default-src"] == {"'self'"}
    assert policy["object-src"] == {"'none'"}
    # style attributes: only the two constant ones Plotly sets, by their hashes
    assert policy["style-src-attr"] == {"'unsafe-hashes'", *PLOTLY_STYLES}
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header


@pytest.mark.django_db
def test_every_kind_of_page_has_the_policy(client, users):
    anonymous = [client.get("/login/"), client.get("/no-such-page/")]
    client.force_login(users[Role.ADMIN])
    signed_in = [client.get(url) for url in (
        "/", "/customers/accounts/", "/sales/board/", "/analytics/", "/service/tickets/",
        "/interactions/calendar/", "/api/docs/", "/api/accounts/")]
    docs_script = client.get("/api/docs/?script")
    for response in [*anonymous, *signed_in, docs_script]:
        assert response.status_code in (200, 404), response.request["PATH_INFO"]
        assert_strict(response.headers.get("Content-Security-Policy"))
    # the API docs' start-up script is served as a file, not inline in the page
    assert docs_script.headers["Content-Type"].startswith("application/javascript")
    assert not INLINE["inline script"].search(signed_in[6].content.decode())


@pytest.mark.parametrize("profile", ["development", "development-debug", "production"])
def test_the_policy_holds_in_every_profile(tmp_path, profile):
    """Settings are read once at start-up, so each profile runs in its own interpreter."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DEBUG", "VINCULO_ENV", "DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS")}
    env.update(VINCULO_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="vinculo.settings")
    if profile == "development-debug":
        env["DEBUG"] = "1"
    if profile == "production":
        env.update(VINCULO_ENV="production", SECRET_KEY="k" * 50, ALLOWED_HOSTS="testserver",
                   SECURE_SSL_REDIRECT="0")
    probe = ("import django; django.setup()\n"
             "from django.conf import settings\n"
             "from django.test import Client\n"
             "r = Client().get('/login/')\n"
             "print(settings.DEBUG, r.status_code)\n"
             "print(r.headers.get('Content-Security-Policy'))\n")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    debug, header = done.stdout.strip().splitlines()[-2:]
    assert debug == ("True 200" if profile == "development-debug" else "False 200")
    assert_strict(header)


def test_no_template_needs_an_inline_script_style_or_handler():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if "email" in path.relative_to(TEMPLATES).parts:  # e-mail bodies, not pages
            continue
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # template comments
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not problems, "\n".join(problems)


def test_plotlys_css_file_matches_the_installed_plotly():
    """plotly.min.js injects these rules unless the page links them (its CSS file): an upgrade
    that changes them must regenerate static/vinculo/plotly.css (see plotly_css)."""
    shipped = (STATIC / "vinculo" / "plotly.css").read_text()
    assert shipped == plotly_css.css()
    assert ".js-plotly-plot .plotly .modebar {" in shipped
    # the page links it under the ids plotly.min.js checks before injecting a style element
    include = (TEMPLATES / "analytics" / "_plotly.html").read_text()
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in include
    assert f'id="{plotly_css.maplibre_id()}"' in include
