from django.urls import URLPattern, path
from django.views import View

from vinculo.billing import views

app_name = "billing"


def _steps(prefix: str, view: type[View], name: str, steps: tuple[str, ...]) -> list[URLPattern]:
    return [path(f"{prefix}/<uuid:uuid>/{step}/", view.as_view(), {"step": step},
                 name=f"{name}_{step}") for step in steps]


urlpatterns = [
    path("invoices/", views.InvoiceListView.as_view(), name="invoice_list"),
    path("invoices/new/", views.InvoiceCreateView.as_view(), name="invoice_create"),
    path("invoices/<uuid:uuid>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("invoices/<uuid:uuid>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    *_steps("invoices", views.InvoiceActionView, "invoice",
            ("issue", "pay", "credit", "send")),
    path("invoices/<uuid:uuid>/delete/", views.InvoiceDeleteView.as_view(),
         name="invoice_delete"),
    path("orders/<uuid:uuid>/invoice/", views.InvoiceFromOrderView.as_view(),
         name="invoice_from_order"),
    path("orders/<uuid:uuid>/return/", views.ReturnCreateView.as_view(), name="return_create"),
    path("payments/", views.PaymentListView.as_view(), name="payment_list"),
    path("aging/", views.AgingView.as_view(), name="aging"),
    path("service-levels/", views.ServiceLevelsView.as_view(), name="service_levels"),
    path("returns/", views.ReturnListView.as_view(), name="return_list"),
    path("returns/<uuid:uuid>/", views.ReturnDetailView.as_view(), name="return_detail"),
    *_steps("returns", views.ReturnActionView, "return",
            ("authorise", "reject", "receive", "close")),
]
