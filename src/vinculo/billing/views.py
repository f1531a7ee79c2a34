"""Billing pages: invoices (create, issue, pay, credit, PDF), payments, returns, aging and the
service indicators; thin: forms in, services decide."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.billing import returns, selectors, services, services_email
from vinculo.billing.filters import (
    InvoiceFilterSet,
    PaymentFilterSet,
    ReturnFilterSet,
    ServiceLevelFilterSet,
)
from vinculo.billing.forms import InvoiceForm, InvoiceSendForm, PaymentForm
from vinculo.billing.models import Invoice, InvoiceStatus, Payment, ReturnAuthorization
from vinculo.billing.pdf import invoice_pdf
from vinculo.core.forms import apply_service_errors
from vinculo.core.services import PermissionDeniedError
from vinculo.core.views_base import (
    Column,
    RecordDeleteView,
    RecordListView,
    RecordMixin,
    flash_error,
)
from vinculo.customers import selectors as customer_selectors
from vinculo.sales.documents.selectors import INDICATORS
from vinculo.sales.models import Order


def _detail(invoice: Invoice) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("billing:invoice_detail", kwargs={"uuid": invoice.uuid}))


class InvoiceListView(RecordListView):
    model = Invoice
    permission_domain = "billing"
    filterset_class = InvoiceFilterSet
    list_name = "invoices"
    title = gettext_lazy("Invoices")
    create_url = reverse_lazy("billing:invoice_create")
    row_template = "billing/rows/invoice.html"
    default_sort = "-created_at"
    columns = (
        Column("number", gettext_lazy("Number"), "number"),
        Column("account", gettext_lazy("Account")),
        Column("status", gettext_lazy("Status")),
        Column("total", gettext_lazy("Total"), "total_amount"),
        Column("outstanding", gettext_lazy("Outstanding")),
        Column("due", gettext_lazy("Due date"), "due_date"),
    )

    def base_queryset(self) -> QuerySet:
        return selectors.with_balance(super().base_queryset().select_related("account"))


class InvoiceCreateView(RecordMixin, View):
    """A standalone draft invoice."""

    permission = "billing.add"

    def render_form(self, form: InvoiceForm, status: int = 200) -> HttpResponse:
        return render(self.request, "billing/invoice_form.html", {"form": form}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_form(InvoiceForm(user=request.user, initial=request.GET.dict()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = InvoiceForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            invoice = services.invoice_create(
                actor=request.user, account=form.cleaned_data["account"], lines=form.lines(),
                payment_terms_days=form.cleaned_data["payment_terms_days"],
                notes=form.cleaned_data["notes"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(form, status=400)
        except PermissionDeniedError as exc:
            form.add_error(None, str(exc))
            return self.render_form(form, status=403)
        return _detail(invoice)


class InvoiceFromOrderView(RecordMixin, View):
    """POST: a draft invoice for the order's delivered (or all) quantities."""

    model = Order
    permission = "billing.add"

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        order = self.get_object()
        try:
            invoice = services.invoice_from_order(actor=request.user, order=order,
                                                  basis=request.POST.get("basis", "delivered"))
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
            return HttpResponseRedirect(reverse("sales:order_detail", kwargs={"uuid": uuid}))
        return _detail(invoice)


class InvoiceDetailView(RecordMixin, View):
    model = Invoice
    permission = "billing.view"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        invoice = self.get_object()
        return render(request, "billing/invoice_detail.html", {
            "record": invoice, "lines": invoice.lines.all(),
            "balance": services.invoice_balance(invoice),
            "overdue": invoice.is_overdue(),
            "payments": invoice.payments.all(),
            "credit_notes": invoice.credit_notes.all(),
            "send_form": InvoiceSendForm(),
            "payment_form": PaymentForm(initial={
                "amount": services.invoice_balance(invoice)["outstanding"]}),
            "history": customer_selectors.record_history_display(invoice),
        })


class InvoiceActionView(RecordMixin, View):
    """POST issue / pay / credit / send."""

    model = Invoice
    permission = "billing.change"

    def post(self, request: HttpRequest, uuid: UUID, step: str) -> HttpResponse:
        invoice = self.get_object()
        target = invoice
        try:
            if step == "issue":
                services.invoice_issue(actor=request.user, invoice=invoice)
            elif step == "pay":
                form = PaymentForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Enter the amount paid."))
                services.payment_record(actor=request.user, invoice=invoice,
                                        **form.cleaned_data)
                messages.success(request, _("Payment recorded."))
            elif step == "send":
                form = InvoiceSendForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(form.errors["to"])
                to = form.cleaned_data["to"]
                services_email.invoice_send(actor=request.user, invoice=invoice,
                                            to=[to] if to else None)
                messages.success(request, _("The e-mail is queued; it leaves as soon as the "
                                            "mail server takes it."))
            elif step == "credit":
                target = services.credit_note_create(actor=request.user, invoice=invoice,
                                                     reason=request.POST.get("reason", ""))
            else:
                return HttpResponse(status=404)
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        return _detail(target)


class InvoiceDeleteView(RecordDeleteView):
    """Delete a draft (it has no number yet); an issued invoice is refused by the service."""

    model = Invoice
    permission = "billing.change"
    delete_service = staticmethod(services.invoice_delete)
    instance_kwarg = "invoice"
    list_url = "billing:invoice_list"

    def redirect_url(self, record: Invoice) -> str:
        if record.status != InvoiceStatus.DRAFT:  # refused: back to the invoice
            return reverse("billing:invoice_detail", kwargs={"uuid": record.uuid})
        return super().redirect_url(record)


class InvoicePdfView(RecordMixin, View):
    model = Invoice
    permission = "billing.view"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        invoice = self.get_object()
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{invoice.number or "draft"}.pdf"')
        return response


class PaymentListView(RecordListView):
    model = Payment
    permission_domain = "billing"
    filterset_class = PaymentFilterSet
    list_name = "payments"
    title = gettext_lazy("Payments")
    row_template = "billing/rows/payment.html"
    default_sort = "-paid_on"
    columns = (
        Column("paid_on", gettext_lazy("Paid on"), "paid_on"),
        Column("invoice", gettext_lazy("Invoice")),
        Column("amount", gettext_lazy("Amount"), "amount"),
        Column("method", gettext_lazy("Method")),
        Column("reference", gettext_lazy("Reference")),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("invoice", "invoice__account")


class AgingView(RecordMixin, View):
    permission = "billing.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "billing/aging.html", {
            "report": selectors.aging(user=request.user), "buckets": selectors.AGING_BUCKETS})


class ServiceLevelsView(RecordListView):
    """On-time delivery, order fill and perfect-order rates per account, segment or month:
    sorted by any column, a page at a time (thousands of account-months)."""

    permission = "sales.view"
    filterset_class = ServiceLevelFilterSet
    list_name = "service_levels"
    title = gettext_lazy("Service levels")
    template_name = "billing/service_levels.html"
    row_template = "billing/rows/service_level.html"

    @property
    def by(self) -> str:
        by = self.request.GET.get("by", "account")
        return by if by in selectors.GROUP_KEYS else "account"

    @property
    def default_sort(self) -> str:  # type: ignore[override]
        return {"account": "account__name", "segment": "account__industry"}.get(
            self.by, "-month")

    @property
    def columns(self) -> tuple[Column, ...]:  # type: ignore[override]
        key = {"account": [Column("key", gettext_lazy("Account"), "account__name")],
               "segment": [Column("key", gettext_lazy("Industry"), "account__industry")],
               "month": []}[self.by]
        return (*key, Column("month", gettext_lazy("Month"), "month"),
                Column("due", gettext_lazy("Orders due"), "due"),
                Column("on_time_rate", gettext_lazy("On time (%)"), "on_time_rate"),
                Column("order_fill_rate", gettext_lazy("Order fill rate (%)"),
                       "order_fill_rate"),
                Column("perfect_rate", gettext_lazy("Perfect orders (%)"), "perfect_rate"))

    def base_queryset(self) -> QuerySet:
        return selectors.service_indicator_rows(by=self.by, user=self.request.user)

    def tiebreak(self, sort: str) -> list[str]:
        return [k for k in (*selectors.GROUP_KEYS[self.by], "month") if k != sort.lstrip("-")]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = context["page"]
        page.items = [selectors.service_indicator_row(row, self.by) for row in page.items]
        context.update({"by": self.by, "indicators": INDICATORS})
        return context


class ReturnListView(RecordListView):
    model = ReturnAuthorization
    permission_domain = "sales"
    filterset_class = ReturnFilterSet
    list_name = "returns"
    title = gettext_lazy("Returns")
    row_template = "billing/rows/return.html"
    default_sort = "-requested_on"
    columns = (
        Column("number", gettext_lazy("Number"), "number"),
        Column("account", gettext_lazy("Account")),
        Column("order", gettext_lazy("Order")),
        Column("status", gettext_lazy("Status")),
        Column("requested_on", gettext_lazy("Requested on"), "requested_on"),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("account", "order")


class ReturnCreateView(RecordMixin, View):
    """Request a return for an order's delivered lines."""

    model = Order
    permission = "sales.change"

    def context(self, order: Order) -> dict[str, Any]:
        returned = returns.returned_quantities(order)
        return {"order": order, "lines": [
            {"line": line, "left": line.delivered_quantity - returned.get(line.pk, 0)}
            for line in order.lines.all()]}

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        return render(request, "billing/return_form.html", self.context(self.get_object()))

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        order = self.get_object()
        try:
            lines = []
            for line in order.lines.all():
                raw = (request.POST.get(f"qty_{line.uuid}") or "0").replace(",", ".")
                try:
                    lines.append((line, Decimal(raw)))
                except InvalidOperation:
                    raise ValidationError(_("%(line)s: enter a number.") % {
                        "line": line.description}) from None
            rma = returns.return_request(actor=request.user, order=order, lines=lines,
                                          reason=request.POST.get("reason", ""))
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
            return render(request, "billing/return_form.html", self.context(order), status=400)
        return HttpResponseRedirect(reverse("billing:return_detail", kwargs={"uuid": rma.uuid}))


class ReturnDetailView(RecordMixin, View):
    model = ReturnAuthorization
    permission = "sales.view"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        rma = self.get_object()
        return render(request, "billing/return_detail.html", {
            "record": rma, "lines": rma.lines.select_related("order_line"),
            "history": customer_selectors.record_history_display(rma)})


class ReturnActionView(RecordMixin, View):
    model = ReturnAuthorization
    permission = "sales.change"
    STEPS = {"authorise": returns.return_authorise, "reject": returns.return_reject,
             "receive": returns.return_receive}

    def post(self, request: HttpRequest, uuid: UUID, step: str) -> HttpResponse:
        rma = self.get_object()
        try:
            if step == "close":
                returns.return_close(actor=request.user, rma=rma,
                                      resolution=request.POST.get("resolution", ""))
            elif step in self.STEPS:
                self.STEPS[step](actor=request.user, rma=rma)
            else:
                return HttpResponse(status=404)
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(reverse("billing:return_detail", kwargs={"uuid": rma.uuid}))
