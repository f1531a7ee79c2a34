"""The URL conf of the lean door (``core.lean``): the apps' ``lean_urls``, at the root as in
``vinculo.urls``, and a bare 404 (these answer machines; the product's 404 page needs the
middleware this door skips)."""

from django.http import HttpRequest, HttpResponseNotFound
from django.urls import include, path

from vinculo.core import plugins

urlpatterns = [
    path("", include(contract.lean_urls))
    for _config, contract in plugins.contracts()
    if contract.lean_urls
]


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponseNotFound:
    return HttpResponseNotFound(b"Not Found", content_type="text/plain")


handler404 = not_found
