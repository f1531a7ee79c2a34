from django.urls import include, path

from vinculo.customers import views

app_name = "customers"

urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="account_list"),
    path("accounts/new/", views.AccountCreateView.as_view(), name="account_create"),
    path("accounts/<uuid:uuid>/", views.AccountDetailView.as_view(), name="account_detail"),
    path("accounts/<uuid:uuid>/edit/", views.AccountUpdateView.as_view(), name="account_update"),
    path("accounts/<uuid:uuid>/delete/", views.AccountDeleteView.as_view(), name="account_delete"),
    path("accounts/<uuid:uuid>/reactivate/", views.AccountReactivateView.as_view(),
         name="account_reactivate"),
    path("accounts/<uuid:uuid>/merge/", views.AccountMergeView.as_view(), name="account_merge"),
    path("contacts/", views.ContactListView.as_view(), name="contact_list"),
    path("contacts/new/", views.ContactCreateView.as_view(), name="contact_create"),
    path("contacts/<uuid:uuid>/", views.ContactDetailView.as_view(), name="contact_detail"),
    path("contacts/<uuid:uuid>/edit/", views.ContactUpdateView.as_view(), name="contact_update"),
    path("contacts/<uuid:uuid>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    path("contacts/<uuid:uuid>/reactivate/", views.ContactReactivateView.as_view(),
         name="contact_reactivate"),
    path(
        "contacts/<uuid:uuid>/consent/", views.ContactConsentView.as_view(), name="contact_consent"
    ),
    path("contacts/<uuid:uuid>/merge/", views.ContactMergeView.as_view(), name="contact_merge"),
    path("leads/", views.LeadListView.as_view(), name="lead_list"),
    path("leads/new/", views.LeadCreateView.as_view(), name="lead_create"),
    path("leads/<uuid:uuid>/", views.LeadDetailView.as_view(), name="lead_detail"),
    path("leads/<uuid:uuid>/edit/", views.LeadUpdateView.as_view(), name="lead_update"),
    path("leads/<uuid:uuid>/delete/", views.LeadDeleteView.as_view(), name="lead_delete"),
    path("leads/<uuid:uuid>/convert/", views.LeadConvertView.as_view(), name="lead_convert"),
    path("duplicates/", views.DuplicatesView.as_view(), name="duplicates"),
    path("", include("vinculo.customers.imports.urls")),
    path("settings/", include("vinculo.customers.settings.urls")),
]
