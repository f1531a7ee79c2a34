from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/", include("vinculo.api_urls")),
    path("", include("vinculo.core.urls")),
    path("customers/", include("vinculo.customers.urls")),
    path("catalog/", include("vinculo.catalog.urls")),
    path("sales/", include("vinculo.sales.urls")),
    path("billing/", include("vinculo.billing.urls")),
    path("interactions/", include("vinculo.interactions.urls")),
    path("service/", include("vinculo.service.urls")),
    path("analytics/", include("vinculo.analytics.urls")),
    path("", include("vinculo.interactions.urls_public")),
    path("", include("vinculo.service.urls_public")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
