"""Settings pages of webhooks and integration keys, for administrators."""

from django.urls import path

from vinculo.integrations import views

app_name = "integrations"

_operation = views.WebhookOperationView.as_view

urlpatterns = [
    path("webhooks/", views.WebhookListView.as_view(), name="webhook_list"),
    path("webhooks/new/", views.WebhookCreateView.as_view(), name="webhook_create"),
    path("webhooks/<uuid:uuid>/", views.WebhookView.as_view(), name="webhook"),
    path("webhooks/<uuid:uuid>/resume/", _operation(operation="resume"), name="webhook_resume"),
    path("webhooks/<uuid:uuid>/pause/", _operation(operation="pause"), name="webhook_pause"),
    path("webhooks/<uuid:uuid>/ping/", _operation(operation="ping"), name="webhook_ping"),
    path("webhooks/<uuid:uuid>/rotate/", _operation(operation="rotate"), name="webhook_rotate"),
    path("webhooks/<uuid:uuid>/delete/", _operation(operation="delete"), name="webhook_delete"),
    path("deliveries/<uuid:uuid>/replay/", views.DeliveryReplayView.as_view(),
         name="delivery_replay"),
    path("keys/", views.KeyListView.as_view(), name="key_list"),
    path("keys/<uuid:uuid>/revoke/", views.KeyRevokeView.as_view(), name="key_revoke"),
]
