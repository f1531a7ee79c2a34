"""Pages of files and comments (included at /attachments/)."""

from django.urls import path

from vinculo.attachments import views

app_name = "attachments"

urlpatterns = [
    path("files/", views.FilePanelView.as_view(), name="file_panel"),
    path("files/<uuid:uuid>/", views.FileDownloadView.as_view(), name="file_download"),
    path("files/<uuid:uuid>/delete/", views.FileDeleteView.as_view(), name="file_delete"),
    path("comments/", views.CommentPanelView.as_view(), name="comment_panel"),
    path("comments/<uuid:uuid>/delete/", views.CommentDeleteView.as_view(),
         name="comment_delete"),
]
