"""Pages of quotes, orders and deliveries; thin: forms in, services decide."""

from __future__ import annotations

import datetime as dt
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

from vinculo.core.forms import apply_service_errors
from vinculo.core.services import ConflictError, PermissionDeniedError
from vinculo.core.views_base import Column, RecordListView, RecordMixin, flash_error
from vinculo.customers import selectors as customer_selectors
from vinculo.sales.documents import selectors, services
from vinculo.sales.documents.filters import DeliveryFilterSet, OrderFilterSet, QuoteFilterSet
from vinculo.sales.documents.forms import AcceptForm, QuoteForm, SendForm
from vinculo.sales.documents.pdf import quote_pdf
from vinculo.sales.models import Delivery, Order, Quote, QuoteStatus


class QuoteListView(RecordListView):
    model = Quote
    permission_domain = "sales"
    filterset_class = QuoteFilterSet
    list_name = "quotes"
    title = gettext_lazy("Quotes")
    create_url = reverse_lazy("sales:quote_create")
    row_template = "sales/documents/rows/quote.html"
    default_sort = "-created_at"
    columns = (
        Column("number", gettext_lazy("Number"), "number"),
        Column("account", gettext_lazy("Account")),
        Column("status", gettext_lazy("Status")),
        Column("total", gettext_lazy("Total"), "total_amount"),
        Column("created", gettext_lazy("Date"), "created_at"),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("account")


class QuoteEditView(RecordMixin, View):
    """New quote, or a change: a draft changes in place, a sent quote gets a new version."""

    model = Quote
    permission = "sales.change"

    def render_form(self, form: QuoteForm, record: Quote | None, status: int = 200):
        return render(self.request, "sales/documents/quote_form.html",
                      {"form": form, "record": record}, status=status)

    def _record(self) -> Quote | None:
        return self.get_object() if "uuid" in self.kwargs else None

    def get(self, request: HttpRequest, uuid: UUID | None = None) -> HttpResponse:
        record = self._record()
        initial: dict[str, Any] = dict(request.GET.items())
        lines = None
        if record is not None:
            initial.update({"account": str(record.account.uuid), "notes": record.notes,
                            "valid_until": record.valid_until})
            lines = [{c: getattr(line, c) for c in ("product", "description", "quantity",
                                                    "unit_price", "discount_percent",
                                                    "tax_rate")}
                     for line in record.lines.all()]
        return self.render_form(QuoteForm(user=request.user, initial=initial,
                                          initial_lines=lines), record)

    def post(self, request: HttpRequest, uuid: UUID | None = None) -> HttpResponse:
        record = self._record()
        form = QuoteForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(form, record, status=400)
        data = form.cleaned_data
        try:
            if record is None:
                quote = services.quote_create(actor=request.user, account=data["account"],
                                              opportunity=data.get("opportunity"),
                                              lines=form.lines(),
                                              valid_until=data["valid_until"],
                                              notes=data["notes"])
            else:
                quote = services.quote_update(actor=request.user, quote=record,
                                              lines=form.lines(),
                                              data={"valid_until": data["valid_until"],
                                                    "notes": data["notes"]})
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.render_form(form, record, status=400)
        except (PermissionDeniedError, ConflictError) as exc:
            form.add_error(None, str(exc))
            return self.render_form(form, record, status=403)
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("sales:quote_detail", kwargs={"uuid": quote.uuid}))


class QuoteCreateView(QuoteEditView):
    permission = "sales.add"


class QuoteDetailView(RecordMixin, View):
    model = Quote
    permission = "sales.view"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        quote = self.get_object()
        return render(request, "sales/documents/quote_detail.html", {
            "record": quote, "lines": quote.lines.select_related("product"),
            "versions": selectors.quote_versions(quote),
            "orders": quote.orders.all(),
            "editable": quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT),
            "accept_form": AcceptForm(), "send_form": SendForm(),
            "history": customer_selectors.record_history_display(quote),
        })


class QuoteActionView(RecordMixin, View):
    """POST send / accept / reject."""

    model = Quote
    permission = "sales.change"

    def post(self, request: HttpRequest, uuid: UUID, step: str) -> HttpResponse:
        quote = self.get_object()
        target = reverse("sales:quote_detail", kwargs={"uuid": quote.uuid})
        try:
            if step == "send":
                form = SendForm(request.POST)
                to = [form.cleaned_data["to"]] if form.is_valid() and form.cleaned_data[
                    "to"] else None
                services.quote_send(actor=request.user, quote=quote, to=to)
                messages.success(request, _("The quote was sent."))
            elif step == "accept":
                form = AcceptForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Give the promised delivery date."))
                order = services.quote_accept(actor=request.user, quote=quote,
                                              promised_date=form.cleaned_data["promised_date"])
                messages.success(request, _("Order %(number)s created.") % {
                    "number": order.number})
                target = reverse("sales:order_detail", kwargs={"uuid": order.uuid})
            elif step == "reject":
                services.quote_reject(actor=request.user, quote=quote)
            else:
                return HttpResponse(status=404)
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(target)


class QuotePdfView(RecordMixin, View):
    model = Quote
    permission = "sales.view"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        quote = self.get_object()
        response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="{quote.number}-v{quote.revision}.pdf"')
        return response


class OrderListView(RecordListView):
    model = Order
    permission_domain = "sales"
    filterset_class = OrderFilterSet
    list_name = "orders"
    title = gettext_lazy("Orders")
    row_template = "sales/documents/rows/order.html"
    default_sort = "-ordered_on"
    columns = (
        Column("number", gettext_lazy("Number"), "number"),
        Column("account", gettext_lazy("Account")),
        Column("status", gettext_lazy("Status")),
        Column("total", gettext_lazy("Total"), "total_amount"),
        Column("ordered_on", gettext_lazy("Order date"), "ordered_on"),
        Column("promised", gettext_lazy("Promised"), "promised_date"),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("account")


class OrderDetailView(RecordMixin, View):
    model = Order
    permission = "sales.view"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        order = self.get_object()
        return render(request, "sales/documents/order_detail.html", {
            "record": order, "lines": selectors.order_lines_remaining(order),
            "deliveries": order.deliveries.all(),
            "history": customer_selectors.record_history_display(order),
        })


class OrderDeliverView(RecordMixin, View):
    """POST the quantities delivered now (``qty_<line uuid>``)."""

    model = Order
    permission = "sales.change"

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        order = self.get_object()
        lines = []
        try:
            for line in order.lines.all():
                raw = (request.POST.get(f"qty_{line.uuid}") or "0").replace(",", ".")
                try:
                    quantity = Decimal(raw)
                except InvalidOperation:
                    raise ValidationError(_("%(line)s: enter a number.") % {
                        "line": line.description}) from None
                lines.append((line, quantity))
            try:
                on = dt.date.fromisoformat(request.POST.get("delivered_on") or "")
            except ValueError:
                on = None
            delivery = services.delivery_create(actor=request.user, order=order, lines=lines,
                                                delivered_on=on)
            messages.success(request, _("Delivery %(number)s recorded.") % {
                "number": delivery.number})
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(reverse("sales:order_detail", kwargs={"uuid": order.uuid}))


class DeliveryListView(RecordListView):
    model = Delivery
    permission_domain = "sales"
    filterset_class = DeliveryFilterSet
    list_name = "deliveries"
    title = gettext_lazy("Deliveries")
    row_template = "sales/documents/rows/delivery.html"
    default_sort = "-delivered_on"
    columns = (
        Column("number", gettext_lazy("Number"), "number"),
        Column("order", gettext_lazy("Order")),
        Column("account", gettext_lazy("Account")),
        Column("delivered_on", gettext_lazy("Delivered on"), "delivered_on"),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("order", "order__account")


class DeliveryDetailView(RecordMixin, View):
    model = Delivery
    permission = "sales.view"

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        delivery = self.get_object()
        return render(request, "sales/documents/delivery_detail.html", {
            "record": delivery, "lines": delivery.lines.select_related("order_line")})
