"""Pages of service packages."""

from django.urls import path

from vinculo.packages import views

app_name = "packages"

urlpatterns = [
    path("", views.PackageListView.as_view(), name="package_list"),
    path("new/", views.PackageEditView.as_view(), name="package_create"),
    path("<uuid:uuid>/", views.PackageEditView.as_view(), name="package_update"),
    path("<uuid:uuid>/delete/", views.PackageDeleteView.as_view(), name="package_delete"),
    path("evaluate/", views.EvaluateView.as_view(), name="evaluate"),
    path("changes/", views.ChangeListView.as_view(), name="change_list"),
    path("changes/<uuid:uuid>/<str:decision>/", views.ChangeDecideView.as_view(),
         name="change_decide"),
    path("panel/", views.AccountPanelView.as_view(), name="account_panel"),
    path("assign/<uuid:uuid>/", views.AssignView.as_view(), name="assign"),
    path("release/<uuid:uuid>/", views.ReleaseView.as_view(), name="release"),
]
