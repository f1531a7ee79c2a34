"""Settings pages of sales (pipelines and stages, reasons for losing), for administrators."""

from django.urls import path

from vinculo.sales.settings import views

urlpatterns = [
    path("pipelines/", views.PipelineListView.as_view(), name="pipeline_settings_list"),
    path("pipelines/new/", views.PipelineEditView.as_view(), name="pipeline_settings_create"),
    path("pipelines/<uuid:uuid>/", views.PipelineEditView.as_view(),
         name="pipeline_settings_update"),
    path("pipelines/<uuid:uuid>/delete/", views.PipelineDeleteView.as_view(),
         name="pipeline_settings_delete"),
    path("stages/new/", views.StageEditView.as_view(), name="stage_create"),
    path("stages/<uuid:uuid>/", views.StageEditView.as_view(), name="stage_update"),
    path("stages/<uuid:uuid>/move/", views.StageMoveView.as_view(), name="stage_move"),
    path("stages/<uuid:uuid>/delete/", views.StageDeleteView.as_view(), name="stage_delete"),
    path("lost-reasons/", views.LostReasonListView.as_view(), name="lost_reason_list"),
    path("lost-reasons/new/", views.LostReasonEditView.as_view(), name="lost_reason_create"),
    path("lost-reasons/<uuid:uuid>/", views.LostReasonEditView.as_view(),
         name="lost_reason_update"),
    path("lost-reasons/<uuid:uuid>/delete/", views.LostReasonDeleteView.as_view(),
         name="lost_reason_delete"),
]
