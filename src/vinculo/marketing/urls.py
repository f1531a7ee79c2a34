"""Pages of marketing (included at /marketing/); the results pages come from
``marketing/results/urls.py``."""

from django.urls import include, path

from vinculo.marketing import views, views_channels
from vinculo.marketing.actions import views as actions

app_name = "marketing"

urlpatterns = [
    # campaigns
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
    # nextaction: the non-e-mail channels
    path("campaigns/channel/", views_channels.ChannelPanelView.as_view(), name="channel_panel"),
    path("campaigns/<uuid:uuid>/letters/", views_channels.CampaignLettersView.as_view(),
         name="campaign_letters"),
    path("campaigns/<uuid:uuid>/calls/", views_channels.CallListView.as_view(),
         name="call_list"),
    path("campaigns/<uuid:uuid>/web-form/", views_channels.CampaignWebFormView.as_view(),
         name="campaign_web_form"),
    path("calls/", views_channels.MyCallListsView.as_view(), name="my_call_lists"),
    path("calls/<uuid:uuid>/outcome/", views_channels.CallOutcomeView.as_view(),
         name="call_outcome"),
    # nextaction: the next-best action
    path("actions/", actions.SuggestionListView.as_view(), name="suggestion_list"),
    path("actions/rules/", actions.SuggestionRulesView.as_view(), name="suggestion_rules"),
    path("actions/panel/", actions.SuggestionPanelView.as_view(), name="suggestion_panel"),
    path("actions/<uuid:uuid>/accept/", actions.SuggestionAcceptView.as_view(),
         name="suggestion_accept"),
    path("actions/<uuid:uuid>/dismiss/", actions.SuggestionDismissView.as_view(),
         name="suggestion_dismiss"),
    # results: the campaign results pages
    path("", include("vinculo.marketing.results.urls")),
]
