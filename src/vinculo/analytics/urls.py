from django.urls import path

from vinculo.analytics import views, views_figures, views_validation

app_name = "analytics"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("customers/", views_figures.CustomerListView.as_view(), name="customers"),
    path("forecast/", views.ForecastView.as_view(), name="forecast"),
    path("export/<slug:name>.csv", views.ExportView.as_view(), name="export"),
    path("validation/", views_validation.ValidationView.as_view(), name="validation"),
    path("runs/latest/", views.RunView.as_view(), name="run"),
    path("cost-rates/", views.CostRatesView.as_view(), name="cost_rates"),
    path("accounts/<uuid:uuid>/panel/", views.CustomerPanelView.as_view(),
         name="customer_panel"),
]
