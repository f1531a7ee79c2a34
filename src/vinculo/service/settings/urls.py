"""Settings pages of the service desk (queues, SLA policies, business calendars,
ticket types), for
administrators."""

from django.urls import path

from vinculo.service.settings import views

urlpatterns = [
    path("queues/", views.QueueListView.as_view(), name="queue_list"),
    path("queues/new/", views.QueueEditView.as_view(), name="queue_create"),
    path("queues/<uuid:uuid>/", views.QueueEditView.as_view(), name="queue_update"),
    path("sla/", views.SlaPolicyListView.as_view(), name="sla_list"),
    path("sla/new/", views.SlaPolicyEditView.as_view(), name="sla_create"),
    path("sla/<uuid:uuid>/", views.SlaPolicyEditView.as_view(), name="sla_update"),
    path("calendars/", views.CalendarListView.as_view(), name="calendar_list"),
    path("calendars/new/", views.CalendarEditView.as_view(), name="calendar_create"),
    path("calendars/<uuid:uuid>/", views.CalendarEditView.as_view(), name="calendar_update"),
    path("calendars/<uuid:uuid>/holidays/", views.HolidayAddView.as_view(), name="holiday_add"),
    path("calendars/<uuid:uuid>/holidays/import/", views.HolidayImportView.as_view(),
         name="holiday_import"),
    path("ticket-types/", views.TicketTypeListView.as_view(), name="ticket_type_list"),
    path("ticket-types/new/", views.TicketTypeEditView.as_view(), name="ticket_type_create"),
    path("ticket-types/<uuid:uuid>/", views.TicketTypeEditView.as_view(),
         name="ticket_type_update"),
    path("ticket-types/<uuid:uuid>/delete/", views.TicketTypeDeleteView.as_view(),
         name="ticket_type_delete"),
    path("holidays/<uuid:uuid>/remove/", views.HolidayRemoveView.as_view(),
         name="holiday_remove"),
]
