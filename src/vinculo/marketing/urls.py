"""Marketing pages. The campaigns branch adds its own; the results pages come from
``marketing/results/urls.py``."""

from django.urls import include, path

app_name = "marketing"

urlpatterns = [
    path("", include("vinculo.marketing.results.urls")),
]
