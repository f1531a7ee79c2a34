"""/portal/: the customer's pages, and staff's panel under /portal/staff/."""

from django.urls import path

from vinculo.portal import supplier_views, views, views_privacy, views_service, views_staff

app_name = "portal"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/link/", views.LinkRequestView.as_view(), name="link_request"),
    path("login/link/<str:token>/", views.LinkSignInView.as_view(), name="link"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("invitation/<str:token>/", views.AcceptView.as_view(), name="accept"),
    path("logo/", views.LogoView.as_view(), name="logo"),
    path("quotes/", views.QuoteListView.as_view(), name="quotes"),
    path("quotes/<uuid:uuid>/", views.QuoteDetailView.as_view(), name="quote"),
    path("orders/", views.OrderListView.as_view(), name="orders"),
    path("orders/<uuid:uuid>/", views.OrderDetailView.as_view(), name="order"),
    path("invoices/", views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/<uuid:uuid>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("tickets/", views_service.TicketListView.as_view(), name="tickets"),
    path("tickets/new/", views_service.TicketCreateView.as_view(), name="ticket_new"),
    path("tickets/<uuid:uuid>/", views_service.TicketDetailView.as_view(), name="ticket"),
    path("tickets/files/<uuid:uuid>/", views_service.TicketFileView.as_view(),
         name="ticket_file"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("help/", views_service.ArticleListView.as_view(), name="articles"),
    path("help/<uuid:uuid>/", views_service.ArticleDetailView.as_view(), name="article"),
    path("payments/", views_privacy.PaymentsView.as_view(), name="payments"),
    path("benefits/", views_privacy.MembershipView.as_view(), name="membership"),
    path("privacy/", views_privacy.PrivacyView.as_view(), name="privacy"),
    path("privacy/my-data/", views_privacy.DataExportView.as_view(), name="data_export"),
    path("supply/", supplier_views.SupplyListView.as_view(), name="supply"),
    path("supply/<uuid:uuid>/", supplier_views.SupplyProductView.as_view(),
         name="supply_product"),
    # staff
    path("staff/supply/", supplier_views.StaffSupplyView.as_view(), name="staff_supply"),
    path("staff/panel/", views_staff.PanelView.as_view(), name="staff_panel"),
    path("staff/users/<uuid:uuid>/deactivate/", views_staff.DeactivateView.as_view(),
         name="staff_deactivate"),
    path("staff/erasure/<uuid:uuid>/", views_staff.ErasureDecideView.as_view(),
         name="staff_erasure"),
]
