"""The lean door: a few public machine endpoints answered without the middleware stack.

An app's contract can name ``lean_urls`` — endpoints that mail clients and link scanners hit
far more often than people open pages (a campaign's open pixel and click redirect). They take
no session, user, CSRF token, language, messages or Content-Security-Policy (they answer an
image or a redirect, never a document), yet the full stack cost more than the view itself:
resolving the path through every app's URLs, building a CSP header, a dozen middleware calls.

``vinculo.wsgi`` sends a request whose path starts with one of these routes' fixed prefixes
to :class:`LeanHandler` — Django's own WSGI handler (request_started/finished, so database
connections are kept and checked as usual; exceptions answered by the handlers) with only
``LEAN_MIDDLEWARE`` (SecurityMiddleware: the HTTPS redirect and its headers) and a URL conf of
these routes alone (``vinculo.urls_lean``). Everything else goes the full way. The same
routes are also in the root URL conf, so ``reverse()``, the test client and ``runserver``
answer them as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver
from django.utils.module_loading import import_string

LEAN_URLCONF = "vinculo.urls_lean"
LEAN_MIDDLEWARE = ("django.middleware.security.SecurityMiddleware",)


class LeanHandler(WSGIHandler):
    """Django's WSGI handler with ``LEAN_MIDDLEWARE`` only and ``vinculo.urls_lean``."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(LEAN_MIDDLEWARE):  # synchronous, no process_view hooks
            handler = convert_exception_to_response(import_string(path)(handler))
        self._middleware_chain = handler

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        request.urlconf = LEAN_URLCONF
        response = super().get_response(request)
        # as CommonMiddleware does: without it gunicorn answers HTTP/1.1 in chunks
        if isinstance(response, HttpResponse) and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response


def prefixes(patterns: Iterable[URLPattern | URLResolver], base: str = "/") -> tuple[str, ...]:
    """The fixed start of each route (up to its first ``<converter>``), as a path."""
    found: list[str] = []
    for pattern in patterns:
        route = base + str(pattern.pattern).split("<", 1)[0]
        if isinstance(pattern, URLResolver):
            found += prefixes(pattern.url_patterns, route)
        elif route != "/":  # a route with no fixed start would take every path
            found.append(route)
    return tuple(found)


def dispatcher(full: Callable[..., Any]) -> Callable[..., Any]:
    """The WSGI application: lean routes to :class:`LeanHandler`, the rest to ``full``."""
    from django.urls import get_resolver

    lean = LeanHandler()
    starts = prefixes(get_resolver(LEAN_URLCONF).url_patterns)
    if not starts:
        return full

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO", "").startswith(starts):
            return lean(environ, start_response)
        return full(environ, start_response)

    return application
