"""Pages of contracts. Thin: forms collect, services decide, selectors read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.contracts import forms, selectors, services
from vinculo.contracts.filters import ContractFilterSet
from vinculo.contracts.models import Contract, ContractStatus
from vinculo.core.forms import apply_service_errors
from vinculo.core.history import record_history_display
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.services import PermissionDeniedError
from vinculo.core.views_base import (
    Column,
    RecordDeleteView,
    RecordListView,
    RecordMixin,
    ServiceEditView,
)
from vinculo.customers import selectors as customer_selectors
from vinculo.customers.models import Account


class ContractListView(RecordListView):
    model = Contract
    filterset_class = ContractFilterSet
    template_name = "contracts/contract_list.html"
    permission_domain = "contracts"
    list_name = "contracts"
    title = gettext_lazy("Contracts")
    create_url = reverse_lazy("contracts:contract_create")
    row_template = "contracts/_row.html"
    default_sort = "-renewal_date"  # the running terms (latest renewal dates) first
    add_permission = "contracts.add"
    export_permission = "contracts.add"
    columns = (
        Column("account", gettext_lazy("Account"), "account__name"),
        Column("name", gettext_lazy("Plan"), "name"),
        Column("sequence", gettext_lazy("Term")),
        Column("renewal_date", gettext_lazy("Renewal date"), "renewal_date"),
        Column("value", gettext_lazy("Value per term"), "value"),
        Column("status", gettext_lazy("Status"), "status"),
    )

    def base_queryset(self) -> Any:
        return super().base_queryset().select_related("account")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["due"] = list(selectors.renewals_due(self.request.user, within_days=30)[:5])
        return context


class ContractDetailView(RecordMixin, View):
    model = Contract
    permission_domain = "contracts"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        contract = self.get_object()
        terms = (Contract.objects.filter(account_id=contract.account_id)
                 .filter(pk=contract.chain_id) | Contract.objects.filter(
                     origin_id=contract.chain_id)).order_by("sequence")
        return render(request, "contracts/contract_detail.html", {
            "record": contract, "terms": list(terms.select_related("product")[:200]),
            "renew_form": forms.RenewForm(), "cancel_form": forms.CancelForm(),
            "history": record_history_display(contract)})


class ContractCreateView(ServiceEditView):
    model = Contract
    form_class = forms.ContractForm
    create_service = staticmethod(services.contract_create)
    permission = "contracts.add"
    template_name = "contracts/contract_form.html"
    detail_url = "contracts:contract_detail"
    list_url = "contracts:contract_list"
    title = gettext_lazy("New contract")

    def initial(self) -> dict[str, Any]:
        """``?account=<uuid>`` (the account page's "New contract") picks the account."""
        initial = super().initial()
        account = None
        if _is_uuid(initial.get("account")):
            account = Account.objects.all().restrict(self.request.user).filter(
                uuid=initial["account"]).first()
        initial["account"] = account.uuid if account else ""
        initial["account_name"] = account.name if account else ""
        return initial


def _is_uuid(value: Any) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


class ContractUpdateView(ContractCreateView):
    update_service = staticmethod(services.contract_update)
    instance_kwarg = "contract"
    permission = "contracts.change"
    title = gettext_lazy("Edit contract")


class ContractDeleteView(RecordDeleteView):
    model = Contract
    permission = "contracts.delete"
    delete_service = staticmethod(services.contract_delete)
    instance_kwarg = "contract"
    list_url = "contracts:contract_list"


class _ActionView(RecordMixin, View):
    """A form on the contract's page that calls one service; errors come back on the page."""

    model = Contract
    permission = "contracts.change"
    form_class: Any = None

    def act(self, contract: Contract, data: dict[str, Any]) -> Contract:
        raise NotImplementedError

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        contract = self.get_object()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                result = self.act(contract, form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDeniedError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(reverse("contracts:contract_detail",
                                                    kwargs={"uuid": result.uuid}))
        key = "renew_form" if self.form_class is forms.RenewForm else "cancel_form"
        return render(request, "contracts/contract_detail.html", {
            "record": contract, "terms": [contract], "history": record_history_display(contract),
            "renew_form": forms.RenewForm(), "cancel_form": forms.CancelForm(), key: form},
            status=400)


class ContractRenewView(_ActionView):
    form_class = forms.RenewForm

    def act(self, contract: Contract, data: dict[str, Any]) -> Contract:
        return services.contract_renew(actor=self.request.user, contract=contract,
                                       value=data.get("value"),
                                       term_months=data.get("term_months"))


class ContractCancelView(_ActionView):
    form_class = forms.CancelForm

    def act(self, contract: Contract, data: dict[str, Any]) -> Contract:
        return services.contract_cancel(actor=self.request.user, contract=contract,
                                        reason=data["reason"], note=data.get("note", ""))


class AccountPickerView(RoleRequiredMixin, View):
    """The short list under the account search box (htmx)."""

    permission = "contracts.add"

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("account_search", "").strip()
        accounts = []
        if len(query) >= 2:
            accounts = list(customer_selectors.search(
                customer_selectors.visible(Account, request.user).filter(active=True), query)
                .order_by("name")[:10])
        return render(request, "sales/_account_options.html", {"accounts": accounts})


class AccountPanelView(RoleRequiredMixin, View):
    """The 360° account page's box (``core.record_panels``): the account's contracts."""

    permission = "contracts.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        label, _sep, key = (request.GET.get("record") or "").partition(":")
        if label.lower() != "customers.account" or not _is_uuid(key):
            raise Http404
        account = Account.objects.all().restrict(request.user).filter(uuid=key).first()
        if account is None:
            raise Http404
        return render(request, "contracts/_account_panel.html", {
            "account": account, **selectors.account_summary(request.user, account.pk),
            "statuses": ContractStatus})
