"""The links a campaign e-mail carries: the open pixel, each link through the click redirect,
and the unsubscribe page — all signed, so they can be neither forged nor enumerated.

Every link holds the recipient's token (128 random bits) and an HMAC-SHA256 (keyed by
``SECRET_KEY``, 128 bits kept) over the kind of link, the token and, for a click, the target
URL. The click redirect goes only where a signature says: the sender signs exactly the URLs
present in the body it sends, so the redirect is not open; a changed URL, token or signature
is a 404 and nothing is recorded.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

_SALT = "vinculo.marketing.tracking"
#: A URL in a message body; trailing punctuation belongs to the sentence, not the link.
URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}"


def signature(kind: str, token: str, url: str = "") -> str:
    """Django's ``salted_hmac`` (SHA-256) over the link, with the key derived once per
    ``SECRET_KEY`` instead of per call: a sender signs four links per message."""
    mac = _keyed(settings.SECRET_KEY).copy()
    mac.update(f"{kind}\n{token}\n{url}".encode())
    return mac.hexdigest()[:32]


@functools.lru_cache(maxsize=2)
def _keyed(secret: str) -> hmac.HMAC:
    # what salted_hmac(_SALT, value, secret, algorithm="sha256") computes before the value
    key = hashlib.sha256((_SALT + secret).encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


@functools.lru_cache(maxsize=1024)
def _quoted(url: str) -> str:
    return quote(url, safe="")


def valid(kind: str, token: str, sig: str, url: str = "") -> bool:
    return hmac.compare_digest(signature(kind, token, url), sig or "")


_PLACEHOLDER = "0" * 32


def _prefixes() -> dict[str, str]:
    """The paths of the three links with the token and signature left out (reversed once).

    Reversed in marketing's own URL modules, which the root URL conf mounts at "/" as they
    are (``core.plugins``: ``public_urls``, ``lean_urls``): a worker that sends never loads
    the rest of the product's URLs and views (seconds of imports at its first message)."""
    out = {}
    for kind, name, module in (("open", "marketing_open", "urls_tracking"),
                               ("click", "marketing_click", "urls_tracking"),
                               ("unsubscribe", "marketing_unsubscribe", "urls_public")):
        path = reverse(name, urlconf=f"vinculo.marketing.{module}",
                       kwargs={"token": _PLACEHOLDER, "sig": "1" * 32})
        out[kind] = path.replace(_PLACEHOLDER + "/" + "1" * 32 + "/", "{token}/{sig}/")
    return out


class Links:
    """The absolute tracking URLs of one recipient (the site's address from ``SITE_URL``).

    A sender makes thousands a second: the paths are reversed once per process, and each
    click URL is signed once per message."""

    _paths: dict[str, str] | None = None

    def __init__(self, token: str, base: str | None = None) -> None:
        self.token = token
        self.base = (base or settings.SITE_URL).rstrip("/")
        if Links._paths is None:
            Links._paths = _prefixes()
        self.clicks: dict[str, str] = {}

    def _url(self, kind: str, url: str = "") -> str:
        assert Links._paths is not None
        return self.base + Links._paths[kind].format(
            token=self.token, sig=signature(kind, self.token, url))

    def pixel(self) -> str:
        return self._url("open")

    def unsubscribe(self) -> str:
        return self._url("unsubscribe")

    def click(self, url: str) -> str:
        found = self.clicks.get(url)
        if found is None:
            found = self.clicks[url] = self._url("click", url) + "?u=" + _quoted(url)
        return found


def _split_url(found: str) -> tuple[str, str]:
    url = found.rstrip(_TRAILING)
    return url, found[len(url):]


def rewrite_text(text: str, links: Links) -> str:
    """The plain-text body with every URL through the click redirect."""
    def sub(match: re.Match[str]) -> str:
        url, rest = _split_url(match.group(0))
        return links.click(url) + rest
    return URL.sub(sub, text)


def to_html(text: str, links: Links) -> str:
    """The HTML body: the text escaped, paragraphs kept, URLs as links through the redirect."""
    parts, last = [], 0
    for match in URL.finditer(text):
        url, rest = _split_url(match.group(0))
        parts.append(escape(text[last:match.start()]))
        parts.append(f'<a href="{escape(links.click(url))}">{escape(url)}</a>{escape(rest)}')
        last = match.end()
    parts.append(escape(text[last:]))
    html = "".join(parts)
    paragraphs = [p.replace("\n", "<br>\n") for p in html.replace("\r\n", "\n").split("\n\n")]
    return "".join(f"<p>{p}</p>\n" for p in paragraphs if p.strip())
