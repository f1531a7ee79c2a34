from django.urls import include, path

from vinculo.interactions import views

app_name = "interactions"

urlpatterns = [
    path("", views.InteractionListView.as_view(), name="interaction_list"),
    path("log/", views.InteractionLogView.as_view(), name="interaction_log"),
    path("timeline/", views.TimelineFragmentView.as_view(), name="timeline_fragment"),
    path("<uuid:uuid>/", views.InteractionDetailView.as_view(), name="interaction_detail"),
    path("attachments/<uuid:uuid>/", views.AttachmentView.as_view(), name="attachment"),
    path("email/new/", views.EmailComposeView.as_view(), name="email_compose"),
    path("email/preview/", views.EmailPreviewView.as_view(), name="email_preview"),
    path("", include("vinculo.interactions.agenda.urls")),
    path("settings/", include("vinculo.interactions.settings.urls")),
]
