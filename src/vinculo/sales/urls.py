from django.urls import include, path

from vinculo.sales import views

app_name = "sales"

urlpatterns = [
    path("board/", views.BoardView.as_view(), name="board"),
    path("board/<uuid:uuid>/", views.BoardView.as_view(), name="pipeline_board"),
    path("opportunities/", views.OpportunityListView.as_view(), name="opportunity_list"),
    path("opportunities/new/", views.OpportunityCreateView.as_view(),
         name="opportunity_create"),
    path("opportunities/<uuid:uuid>/", views.OpportunityDetailView.as_view(),
         name="opportunity_detail"),
    path("opportunities/<uuid:uuid>/edit/", views.OpportunityEditView.as_view(),
         name="opportunity_update"),
    path("opportunities/<uuid:uuid>/move/", views.OpportunityMoveView.as_view(),
         name="opportunity_move"),
    path("accounts/pick/", views.AccountPickerView.as_view(), name="account_picker"),
    path("forecast/", views.ForecastView.as_view(), name="forecast"),
    path("funnel/", views.FunnelView.as_view(), name="funnel"),
    path("settings/", include("vinculo.sales.settings.urls")),
    path("", include("vinculo.sales.documents.urls")),
]
