from django.urls import include, path

from vinculo.service import views

app_name = "service"

urlpatterns = [
    path("", views.DeskView.as_view(), name="desk"),
    path("tickets/", views.TicketListView.as_view(), name="ticket_list"),
    path("tickets/new/", views.TicketCreateView.as_view(), name="ticket_create"),
    path("tickets/<uuid:uuid>/", views.TicketDetailView.as_view(), name="ticket_detail"),
    path("tickets/<uuid:uuid>/edit/", views.TicketUpdateView.as_view(), name="ticket_update"),
    *[path(f"tickets/<uuid:uuid>/{step}/", views.TicketActionView.as_view(), {"step": step},
           name=f"ticket_{step}")
      for step in ("reply", "note", "status", "assign", "link", "unlink")],
    path("metrics/", views.MetricsView.as_view(), name="metrics"),
    path("kb/", views.ArticleListView.as_view(), name="article_list"),
    path("kb/new/", views.ArticleCreateView.as_view(), name="article_create"),
    path("kb/pick/", views.ArticlePickerView.as_view(), name="article_picker"),
    path("kb/<uuid:uuid>/", views.ArticleDetailView.as_view(), name="article_detail"),
    path("kb/<uuid:uuid>/edit/", views.ArticleUpdateView.as_view(), name="article_update"),
    path("settings/", include("vinculo.service.settings.urls")),
]
