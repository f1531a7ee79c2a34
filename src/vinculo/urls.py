"""The URL configuration, built from the apps' contracts (``core.plugins``): each app's pages
at its ``url_prefix``, then the public pages (web forms, surveys) at the root."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from vinculo.core import plugins

apps.check_apps_ready()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/", include("vinculo.api_urls")),
]
urlpatterns += [
    path(contract.url_prefix, include(f"{config.name}.urls"))
    for config, contract in plugins.contracts()
    if contract.url_prefix is not None
]
urlpatterns += [
    path("", include(module))
    for _config, contract in plugins.contracts()
    for module in (contract.public_urls, contract.lean_urls)
    if module
]
# No URL serves MEDIA_ROOT, in any profile: stored files are answered by views that check the
# organisation and the permission (core/files.py).

# JSON under /api/, the product's pages elsewhere (core/errors.py).
handler400 = "vinculo.core.errors.bad_request"
handler403 = "vinculo.core.errors.permission_denied"
handler404 = "vinculo.core.errors.page_not_found"
handler500 = "vinculo.core.errors.server_error"
