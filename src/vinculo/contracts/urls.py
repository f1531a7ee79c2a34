from django.urls import path

from vinculo.contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.ContractListView.as_view(), name="contract_list"),
    path("new/", views.ContractCreateView.as_view(), name="contract_create"),
    path("accounts/pick/", views.AccountPickerView.as_view(), name="account_picker"),
    path("panel/", views.AccountPanelView.as_view(), name="account_panel"),
    path("<uuid:uuid>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("<uuid:uuid>/edit/", views.ContractUpdateView.as_view(), name="contract_update"),
    path("<uuid:uuid>/delete/", views.ContractDeleteView.as_view(), name="contract_delete"),
    path("<uuid:uuid>/renew/", views.ContractRenewView.as_view(), name="contract_renew"),
    path("<uuid:uuid>/cancel/", views.ContractCancelView.as_view(), name="contract_cancel"),
]
