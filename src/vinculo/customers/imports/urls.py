"""Import, export and vCard pages of the customers app (included at /customers/)."""

from django.urls import path

from vinculo.customers.imports import views

urlpatterns = [
    path("import/", views.ImportStartView.as_view(), name="import_start"),
    path("import/<uuid:uuid>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("import/<uuid:uuid>/mapping/", views.ImportMappingView.as_view(),
         name="import_mapping"),
    path("import/<uuid:uuid>/run/", views.ImportRunView.as_view(), name="import_run"),
    path("import/<uuid:uuid>/progress/", views.ImportProgressView.as_view(),
         name="import_progress"),
    path("import/<uuid:uuid>/errors.csv", views.ImportErrorsView.as_view(),
         name="import_errors"),
    path("import/<uuid:uuid>/file/", views.ImportFileView.as_view(), name="import_file"),
    path("accounts/export/", views.AccountExportView.as_view(), name="account_export"),
    path("contacts/export/", views.ContactExportView.as_view(), name="contact_export"),
    path("leads/export/", views.LeadExportView.as_view(), name="lead_export"),
    path("contacts/vcard/export/", views.ContactVCardListView.as_view(),
         name="contact_vcard_export"),
    path("contacts/vcard/import/", views.ContactVCardImportView.as_view(),
         name="contact_vcard_import"),
    path("contacts/<uuid:uuid>/vcard/", views.ContactVCardView.as_view(), name="contact_vcard"),
]
