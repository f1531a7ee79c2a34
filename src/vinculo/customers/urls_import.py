"""Import, export and vCard pages (placeholder until the import module lands)."""

from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("import/", RedirectView.as_view(pattern_name="customers:contact_list"),
         name="import_start"),
]
