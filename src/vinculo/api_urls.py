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
from vinculo.interactions import api as interactions_api
from vinculo.interactions import api_settings as interactions_api_settings
from vinculo.interactions import api_tasks as interactions_api_tasks
from vinculo.sales import api as sales_api
from vinculo.sales.documents import api as sales_documents_api
from vinculo.service import api as service_api
from vinculo.service import api_settings as service_api_settings

router = DefaultRouter()
core_api.register(router)
customers_api.register(router)
customers_api_import.register(router)
catalog_api.register(router)
sales_api.register(router)
sales_documents_api.register(router)
billing_api.register(router)
interactions_api.register(router)
interactions_api_tasks.register(router)
interactions_api_settings.register(router)
service_api.register(router)
service_api_settings.register(router)
analytics_api.register(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include(router.urls)),
]
