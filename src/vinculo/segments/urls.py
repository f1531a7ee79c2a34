from django.urls import path

from vinculo.segments import views

app_name = "segments"

urlpatterns = [
    path("", views.SegmentListView.as_view(), name="segment_list"),
    path("new/", views.SegmentBuilderView.as_view(), name="segment_create"),
    path("<uuid:uuid>/", views.SegmentDetailView.as_view(), name="segment_detail"),
    path("<uuid:uuid>/edit/", views.SegmentBuilderView.as_view(), name="segment_update"),
    path("<uuid:uuid>/delete/", views.SegmentDeleteView.as_view(), name="segment_delete"),
    path("<uuid:uuid>/refresh/", views.SegmentRefreshView.as_view(), name="segment_refresh"),
    path("<uuid:uuid>/members/", views.SegmentMembersView.as_view(), name="segment_members"),
    path("<uuid:uuid>/members/pick/", views.MemberPickerView.as_view(),
         name="member_picker"),
    path("<uuid:uuid>/import/", views.SegmentImportView.as_view(), name="segment_import"),
    path("<uuid:uuid>/export/", views.SegmentExportView.as_view(), name="segment_export"),
]
