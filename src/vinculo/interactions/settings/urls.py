"""Settings pages of interactions (mailboxes, e-mail templates, web forms), for administrators."""

from django.urls import path

from vinculo.interactions.settings import views

urlpatterns = [
    path("mailboxes/", views.MailboxListView.as_view(), name="mailbox_list"),
    path("mailboxes/new/", views.MailboxEditView.as_view(), name="mailbox_create"),
    path("mailboxes/<uuid:uuid>/", views.MailboxEditView.as_view(), name="mailbox_update"),
    path("mailboxes/<uuid:uuid>/test/", views.MailboxTestView.as_view(), name="mailbox_test"),
    path("mailboxes/<uuid:uuid>/token/", views.MailboxTokenView.as_view(),
         name="mailbox_token"),
    path("templates/", views.EmailTemplateListView.as_view(), name="template_list"),
    path("templates/new/", views.EmailTemplateEditView.as_view(), name="template_create"),
    path("templates/<uuid:uuid>/", views.EmailTemplateEditView.as_view(),
         name="template_update"),
    path("forms/", views.WebFormListView.as_view(), name="webform_list"),
    path("forms/new/", views.WebFormEditView.as_view(), name="webform_create"),
    path("forms/<uuid:uuid>/", views.WebFormEditView.as_view(), name="webform_update"),
]
