"""The REST API: one router for the routes every app declares, the OpenAPI schema and its docs
(served locally)."""

from django.core.exceptions import ImproperlyConfigured
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter, Route

from vinculo.core import plugins
from vinculo.core.api_base import UNDECLARED


class Router(DefaultRouter):
    """DRF's router, plus single resources: a viewset with ``singleton_retrieve`` /
    ``singleton_update`` answers GET and PATCH at its prefix, with no id in the path
    (``/api/organization/``). Other viewsets have neither, so the route skips them."""

    routes = [
        Route(url=r"^{prefix}{trailing_slash}$",
              mapping={"get": "singleton_retrieve", "patch": "singleton_update"},
              name="{basename}-list", detail=False, initkwargs={"suffix": "Instance"}),
        *DefaultRouter.routes,
    ]


router = Router()
for route in plugins.collect("api_routes"):
    viewset = plugins.resolve(route.viewset)
    if getattr(viewset, "permission_domain", UNDECLARED) is UNDECLARED:
        raise ImproperlyConfigured(f"{route.viewset} must state its permission_domain")
    router.register(route.prefix, viewset, basename=route.basename)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file (?script) and the template has no
    # inline style: the Content-Security-Policy allows neither inline.
    path("docs/", SpectacularSwaggerSplitView.as_view(
        url_name="schema", template_name="core/swagger_ui.html"), name="api-docs"),
    path("", include(router.urls)),
]
