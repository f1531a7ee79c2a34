"""Pages of reports."""

from django.urls import path

from vinculo.reports import views, views_capture, views_objectives, views_schedules

app_name = "reports"

urlpatterns = [
    path("", views.ReportListView.as_view(), name="report_list"),
    path("new/", views.ReportBuilderView.as_view(), name="report_create"),
    path("preview/", views.ReportPreviewView.as_view(), name="report_preview"),
    path("dashboard/", views_objectives.DashboardView.as_view(), name="dashboard"),
    path("dashboard/arrange/", views_objectives.DashboardArrangeView.as_view(),
         name="dashboard_arrange"),
    path("dashboard/widgets/<uuid:uuid>/", views_objectives.WidgetChangeView.as_view(),
         name="widget_change"),
    path("objectives/", views_objectives.ObjectiveListView.as_view(), name="objective_list"),
    path("objectives/new/", views_objectives.ObjectiveEditView.as_view(),
         name="objective_create"),
    path("objectives/<uuid:uuid>/", views_objectives.ObjectiveDetailView.as_view(),
         name="objective_detail"),
    path("objectives/<uuid:uuid>/edit/", views_objectives.ObjectiveEditView.as_view(),
         name="objective_update"),
    path("objectives/<uuid:uuid>/delete/", views_objectives.ObjectiveDeleteView.as_view(),
         name="objective_delete"),
    path("capture/", views_capture.DataCaptureView.as_view(), name="data_capture"),
    path("<uuid:uuid>/", views.ReportDetailView.as_view(), name="report_detail"),
    path("<uuid:uuid>/result/", views.ReportResultView.as_view(), name="report_result"),
    path("<uuid:uuid>/edit/", views.ReportBuilderView.as_view(), name="report_update"),
    path("<uuid:uuid>/export/", views.ReportExportView.as_view(), name="report_export"),
    path("<uuid:uuid>/schedule/", views_schedules.ReportScheduleView.as_view(),
         name="report_schedule"),
    path("<uuid:uuid>/delete/", views.ReportDeleteView.as_view(), name="report_delete"),
]
