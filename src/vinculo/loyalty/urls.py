"""Pages of loyalty programmes."""

from django.urls import path

from vinculo.loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("programs/", views.ProgramListView.as_view(), name="program_list"),
    path("programs/new/", views.ProgramEditView.as_view(), name="program_create"),
    path("programs/<uuid:uuid>/", views.ProgramDetailView.as_view(), name="program_detail"),
    path("programs/<uuid:uuid>/edit/", views.ProgramEditView.as_view(), name="program_update"),
    path("programs/<uuid:uuid>/delete/", views.ProgramDeleteView.as_view(),
         name="program_delete"),
    path("members/<uuid:uuid>/", views.MemberDetailView.as_view(), name="member_detail"),
    path("members/<uuid:uuid>/statement/", views.StatementView.as_view(),
         name="member_statement"),
    path("enrol/", views.EnrolView.as_view(), name="enrol"),
    path("panel/", views.AccountPanelView.as_view(), name="account_panel"),
]
