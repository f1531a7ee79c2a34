"""Task pages: my day, the calendar, the iCalendar feed."""

from django.urls import path

from vinculo.interactions.agenda import views

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/new/", views.TaskCreateView.as_view(), name="task_create"),
    path("tasks/<uuid:uuid>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<uuid:uuid>/edit/", views.TaskEditView.as_view(), name="task_update"),
    path("tasks/<uuid:uuid>/complete/", views.TaskActionView.as_view(step="complete"),
         name="task_complete"),
    path("tasks/<uuid:uuid>/cancel/", views.TaskActionView.as_view(step="cancel"),
         name="task_cancel"),
    path("tasks/<uuid:uuid>/delete/", views.TaskActionView.as_view(step="delete"),
         name="task_delete"),
    path("my-day/", views.MyDayView.as_view(), name="my_day"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar/feed/", views.FeedSettingsView.as_view(), name="feed_settings"),
    path("calendar/<str:key>.ics", views.CalendarFeedView.as_view(), name="calendar_feed"),
]
