"""Settings pages of customers (the list of industries), for administrators."""

from django.urls import path

from vinculo.customers.settings import views

urlpatterns = [
    path("industries/", views.IndustryListView.as_view(), name="industry_list"),
    path("industries/new/", views.IndustryEditView.as_view(), name="industry_create"),
    path("industries/<uuid:uuid>/", views.IndustryEditView.as_view(), name="industry_update"),
    path("industries/<uuid:uuid>/delete/", views.IndustryDeleteView.as_view(),
         name="industry_delete"),
]
