from django.urls import path

from vinculo.marketing import views

app_name = "marketing"

urlpatterns = [
    path("campaigns/", views.CampaignListView.as_view(), name="campaign_list"),
    path("campaigns/new/", views.CampaignCreateView.as_view(), name="campaign_create"),
    path("campaigns/<uuid:uuid>/", views.CampaignDetailView.as_view(), name="campaign_detail"),
    path("campaigns/<uuid:uuid>/edit/", views.CampaignUpdateView.as_view(),
         name="campaign_update"),
    path("campaigns/<uuid:uuid>/delete/", views.CampaignDeleteView.as_view(),
         name="campaign_delete"),
    path("campaigns/<uuid:uuid>/start/", views.CampaignActionView.as_view(verb="start"),
         name="campaign_start"),
    path("campaigns/<uuid:uuid>/finish/", views.CampaignActionView.as_view(verb="finish"),
         name="campaign_finish"),
    path("campaigns/<uuid:uuid>/variants/", views.VariantAddView.as_view(),
         name="variant_add"),
    path("variants/<uuid:uuid>/edit/", views.VariantUpdateView.as_view(), name="variant_update"),
    path("variants/<uuid:uuid>/delete/", views.VariantDeleteView.as_view(),
         name="variant_delete"),
]
