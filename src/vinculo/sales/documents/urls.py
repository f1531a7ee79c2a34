"""Pages of quotes, orders and deliveries (included from ``sales/urls.py``, namespace sales)."""

from django.urls import path

from vinculo.sales.documents import views

urlpatterns = [
    path("quotes/", views.QuoteListView.as_view(), name="quote_list"),
    path("quotes/new/", views.QuoteCreateView.as_view(), name="quote_create"),
    path("quotes/<uuid:uuid>/", views.QuoteDetailView.as_view(), name="quote_detail"),
    path("quotes/<uuid:uuid>/edit/", views.QuoteEditView.as_view(), name="quote_update"),
    path("quotes/<uuid:uuid>/pdf/", views.QuotePdfView.as_view(), name="quote_pdf"),
    path("quotes/<uuid:uuid>/send/", views.QuoteActionView.as_view(), {"step": "send"},
         name="quote_send"),
    path("quotes/<uuid:uuid>/accept/", views.QuoteActionView.as_view(), {"step": "accept"},
         name="quote_accept"),
    path("quotes/<uuid:uuid>/reject/", views.QuoteActionView.as_view(), {"step": "reject"},
         name="quote_reject"),
    path("orders/", views.OrderListView.as_view(), name="order_list"),
    path("orders/<uuid:uuid>/", views.OrderDetailView.as_view(), name="order_detail"),
    path("orders/<uuid:uuid>/deliver/", views.OrderDeliverView.as_view(), name="order_deliver"),
    path("deliveries/", views.DeliveryListView.as_view(), name="delivery_list"),
    path("deliveries/<uuid:uuid>/", views.DeliveryDetailView.as_view(),
         name="delivery_detail"),
]
