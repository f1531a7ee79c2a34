"""The REST API: one router for every app, the OpenAPI schema and its docs (served locally)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from vinculo.analytics import api as analytics_api
from vinculo.billing import api as billing_api
from vinculo.catalog import api as catalog_api
from vinculo.core import api as core_api
from vinculo.customers import api as customers_api
from vinculo.customers import api_import as customers_api_import
from vinculo.sales import api as sales_api
from vinculo.sales.documents import api as sales_documents_api

router = DefaultRouter()
core_api.register(router)
customers_api.register(router)
customers_api_import.register(router)
catalog_api.register(router)
sales_api.register(router)
sales_documents_api.register(router)
billing_api.register(router)
analytics_api.register(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include(router.urls)),
]
