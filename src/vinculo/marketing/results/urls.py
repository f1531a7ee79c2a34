"""The results pages, included by ``marketing/urls.py`` (namespace ``marketing``)."""

from django.urls import path

from vinculo.marketing.results import views

urlpatterns = [
    path("campaigns/<uuid:uuid>/results/", views.CampaignResultsView.as_view(),
         name="campaign_results"),
    path("campaigns/<uuid:uuid>/results.csv", views.CampaignResultsExportView.as_view(),
         name="campaign_results_csv"),
    path("campaigns/<uuid:uuid>/results/mark/", views.CampaignResultsMarkView.as_view(),
         name="campaign_results_mark"),
]
