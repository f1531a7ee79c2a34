"""REST API of billing: invoices and credit notes, payments, returns, aging, service levels."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.billing import returns, selectors, services, services_email
from vinculo.billing.models import (
    Invoice,
    InvoiceLine,
    Payment,
    PaymentMethod,
    ReturnAuthorization,
    ReturnResolution,
)
from vinculo.billing.pdf import invoice_pdf
from vinculo.core.api_base import (
    ScopedRelatedField,
    ServiceDestroyMixin,
    ServiceSerializer,
    TenantScopedMixin,
)
from vinculo.core.api_lines import DocumentSerializer, LineInputSerializer, PricedLineSerializer
from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.customers.models import Account, Contact
from vinculo.sales.models import Order, OrderLine


class InvoiceLineSerializer(PricedLineSerializer):
    id = serializers.UUIDField(source="uuid")


class InvoiceSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    order = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    credited_invoice = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                                    allow_null=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)
    credited = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    paid = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = ("id", "version", "kind", "number", "status", "account", "order",
                  "credited_invoice", "currency", "issue_date", "payment_terms_days",
                  "due_date", "paid_on", "sent_at", "notes", "net_amount", "tax_amount",
                  "total_amount", "credited", "paid", "outstanding", "overdue", "lines")
        read_only_fields = fields

    def get_overdue(self, invoice: Invoice) -> bool:
        return invoice.is_overdue()


class InvoiceAnswerMixin:
    """Answers the invoice as ``InvoiceSerializer``, read again with its balance."""

    context: dict[str, Any]

    def to_representation(self, instance: Invoice) -> Any:
        fresh = selectors.invoice_with_balance(pk=instance.pk)
        return InvoiceSerializer(fresh, context=self.context).data


class InvoiceInputSerializer(InvoiceAnswerMixin, DocumentSerializer):
    """A new draft invoice."""

    account = ScopedRelatedField(Account)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, required=False)
    payment_terms_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, allow_null=True, default=None,
        help_text="Empty: the payment terms of the customer's service package, else 30 days.")
    notes = serializers.CharField(max_length=TEXT_MAX_LENGTH,
                                  required=False, allow_blank=True, default="")
    lines = LineInputSerializer(many=True)

    create_service = staticmethod(services.invoice_create)

    class Meta:
        model = Invoice
        fields = ("account", "contact", "currency", "payment_terms_days", "notes", "lines")


class InvoiceUpdateSerializer(InvoiceAnswerMixin, DocumentSerializer):
    """A change to a draft; an issued invoice is refused."""

    version = serializers.IntegerField(min_value=1)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    notes = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)
    lines = LineInputSerializer(many=True, required=False)

    update_service = staticmethod(services.invoice_update)
    instance_kwarg = "invoice"

    class Meta:
        model = Invoice
        fields = ("version", "contact", "payment_terms_days", "notes", "lines")


class FromOrderSerializer(serializers.Serializer):
    order = ScopedRelatedField(Order)
    basis = serializers.ChoiceField(choices=["delivered", "all"], default="delivered")
    payment_terms_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, allow_null=True, default=None,
        help_text="Empty: the payment terms of the customer's service package, else 30 days.")


class IssueSerializer(serializers.Serializer):
    issue_date = serializers.DateField(required=False)


class PaySerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid_on = serializers.DateField(required=False)
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default="transfer")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                      default="")


class CreditLineSerializer(serializers.Serializer):
    line = serializers.UUIDField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)


class CreditSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH,
                                   required=False, allow_blank=True, default="")
    lines = CreditLineSerializer(many=True, required=False)


class PaymentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    invoice = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = Payment
        fields = ("id", "invoice", "amount", "paid_on", "method", "reference", "created_at")
        read_only_fields = fields


class AgingQuerySerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="The day the balances are aged on.")


class InvoiceSendSerializer(serializers.Serializer):
    to = serializers.ListField(
        child=serializers.EmailField(max_length=254), required=False, max_length=20,
        help_text="Recipients; by default the invoice's contact, else its account's e-mail.")


@extend_schema_view(
    create=extend_schema(request=InvoiceInputSerializer, responses={201: InvoiceSerializer}),
    partial_update=extend_schema(request=InvoiceUpdateSerializer, responses=InvoiceSerializer),
)
class InvoiceViewSet(TenantScopedMixin, ServiceDestroyMixin, mixins.CreateModelMixin,
                     mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                     mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Invoices and credit notes. Drafts change (PATCH) and are deleted; ``issue`` numbers them;
    an issued invoice is corrected by ``credit``; ``pay`` records a payment; ``send`` e-mails
    an issued one with its PDF."""

    queryset = Invoice.objects.none()
    serializer_class = InvoiceSerializer
    lookup_field = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]  # PATCH changes
    permission_domain = "billing"
    delete_service = staticmethod(services.invoice_delete)
    instance_kwarg = "invoice"
    action_permissions = {"issue": "billing.change", "pay": "billing.change",
                          "send": "billing.change",
                          "credit": "billing.add", "pdf": "billing.view",
                          "from_order": "billing.add", "aging": "billing.view"}

    def scoped_queryset(self) -> QuerySet:
        return selectors.invoices_with_balance().order_by("-created_at", "-id")

    def _answer(self, invoice: Invoice, status: int = 200) -> Response:
        fresh = selectors.invoice_with_balance(pk=invoice.pk)
        return Response(InvoiceSerializer(fresh).data, status=status)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return {"create": InvoiceInputSerializer,
                "partial_update": InvoiceUpdateSerializer}.get(self.action, InvoiceSerializer)

    @extend_schema(request=FromOrderSerializer, responses={201: InvoiceSerializer})
    @action(detail=False, methods=["post"], url_path="from-order")
    def from_order(self, request: Request) -> Response:
        """A draft invoice for an order's delivered (or all) quantities not yet invoiced."""
        payload = FromOrderSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        invoice = services.invoice_from_order(actor=request.user, **payload.validated_data)
        return self._answer(invoice, 201)

    @extend_schema(request=IssueSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, uuid: str | None = None) -> Response:
        invoice = self.get_object()
        payload = IssueSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        invoice = services.invoice_issue(actor=request.user, invoice=invoice,
                                         issue_date=payload.validated_data.get("issue_date"))
        return self._answer(invoice)

    @extend_schema(request=PaySerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, uuid: str | None = None) -> Response:
        invoice = self.get_object()
        payload = PaySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        payment = services.payment_record(actor=request.user, invoice=invoice,
                                          **payload.validated_data)
        return Response(PaymentSerializer(payment).data, status=201)

    @extend_schema(request=CreditSerializer, responses={201: InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def credit(self, request: Request, uuid: str | None = None) -> Response:
        """Issue a credit note for the given lines and quantities, or for the whole invoice."""
        invoice = self.get_object()
        payload = CreditSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pairs = None
        if payload.validated_data.get("lines"):
            own = {line.uuid: line for line in InvoiceLine.objects.filter(invoice=invoice)}
            pairs = []
            for index, item in enumerate(payload.validated_data["lines"]):
                if item["line"] not in own:
                    raise serializers.ValidationError(
                        {f"lines.{index}.line": ["Not a line of this invoice."]})
                pairs.append((own[item["line"]], item["quantity"]))
        note = services.credit_note_create(actor=request.user, invoice=invoice, lines=pairs,
                                           reason=payload.validated_data["reason"])
        return self._answer(note, 201)

    @extend_schema(request=InvoiceSendSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, uuid: str | None = None) -> Response:
        """E-mail the issued invoice (or credit note) with its PDF: queued, retried, marked
        transactional and on the customer's timeline."""
        invoice = self.get_object()
        payload = InvoiceSendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        invoice = services_email.invoice_send(actor=request.user, invoice=invoice,
                                              to=payload.validated_data.get("to"))
        return self._answer(invoice)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, uuid: str | None = None) -> HttpResponse:
        invoice = self.get_object()
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number or "draft"}.pdf"'
        return response

    @extend_schema(parameters=[AgingQuerySerializer], responses={200: dict})
    @action(detail=False, methods=["get"])
    def aging(self, request: Request) -> Response:
        """Outstanding balances per account: current, 1–30, 31–60, 61–90, over 90 days."""
        query = AgingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = selectors.aging(user=request.user, on=query.validated_data.get("on"))
        return Response({"on": report["on"], "totals": report["totals"], "rows": [
            {"account": row["account__uuid"], "account_name": row["account__name"],
             "currency": row["currency"], "invoices": row["invoices"], "total": row["total"],
             **{key: row[key] for key in selectors.AGING_BUCKETS}} for row in report["rows"]]})


class PaymentViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    """Payments: append-only; recorded through ``invoices/{id}/pay/``."""

    queryset = Payment.objects.none()
    serializer_class = PaymentSerializer
    lookup_field = "uuid"
    permission_domain = "billing"

    def scoped_queryset(self) -> QuerySet:
        return Payment.objects.select_related("invoice").order_by("-paid_on", "-id")


class ReturnLineInputSerializer(serializers.Serializer):
    order_line = serializers.UUIDField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)


class CloseSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=["credit_note", "replacement"])


class ReturnSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    order = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    credit_note = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    replacement_delivery = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                                        allow_null=True)
    resolution = serializers.ChoiceField(choices=ReturnResolution.choices, read_only=True,
                                         allow_blank=True, help_text="Empty until closed.")
    lines = serializers.SerializerMethodField()

    class Meta:
        model = ReturnAuthorization
        fields = ("id", "version", "number", "status", "account", "order", "reason",
                  "requested_on", "received_on", "closed_on", "resolution", "credit_note",
                  "replacement_delivery", "lines")
        read_only_fields = fields

    def get_lines(self, rma: ReturnAuthorization) -> list[dict[str, Any]]:
        return [{"order_line": str(line.order_line.uuid),
                 "description": line.order_line.description, "quantity": str(line.quantity)}
                for line in rma.lines.all()]  # prefetched with their order lines


class ReturnInputSerializer(ServiceSerializer):
    """A return of an order's lines: answers the return (``ReturnSerializer``)."""

    order = ScopedRelatedField(Order)
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    lines = ReturnLineInputSerializer(many=True)

    create_service = staticmethod(returns.return_request)
    output_serializer = ReturnSerializer

    class Meta:
        model = ReturnAuthorization
        fields = ("order", "reason", "lines")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The lines become (order line, quantity) pairs; a line of another order is refused."""
        attrs = super().validate(attrs)
        by_uuid = {line.uuid: line for line in OrderLine.objects.filter(order=attrs["order"])}
        pairs = []
        for index, item in enumerate(attrs["lines"]):
            if item["order_line"] not in by_uuid:
                raise serializers.ValidationError(
                    {f"lines.{index}.order_line": ["Not a line of this order."]})
            pairs.append((by_uuid[item["order_line"]], item["quantity"]))
        return {**attrs, "lines": pairs}

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        return validated_data


@extend_schema_view(
    create=extend_schema(request=ReturnInputSerializer, responses={201: ReturnSerializer}),
)
class ReturnViewSet(TenantScopedMixin, mixins.CreateModelMixin, mixins.ListModelMixin,
                    mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Returns (RMA): requested → authorised → received → closed (credit note or replacement),
    or rejected."""

    queryset = ReturnAuthorization.objects.none()
    serializer_class = ReturnSerializer
    lookup_field = "uuid"
    permission_domain = "sales"
    action_permissions = {"authorise": "sales.change", "reject": "sales.change",
                          "receive": "sales.change", "close": "sales.change"}

    def scoped_queryset(self) -> QuerySet:
        return (ReturnAuthorization.objects.select_related("account", "order")
                .prefetch_related("lines__order_line").order_by("-requested_on", "-id"))

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return ReturnInputSerializer if self.action == "create" else ReturnSerializer

    def _step(self, service: Any) -> Response:
        rma = service(actor=self.request.user, rma=self.get_object())
        return Response(ReturnSerializer(rma).data)

    @extend_schema(request=None, responses=ReturnSerializer)
    @action(detail=True, methods=["post"])
    def authorise(self, request: Request, uuid: str | None = None) -> Response:
        return self._step(returns.return_authorise)

    @extend_schema(request=None, responses=ReturnSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, uuid: str | None = None) -> Response:
        return self._step(returns.return_reject)

    @extend_schema(request=None, responses=ReturnSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, uuid: str | None = None) -> Response:
        return self._step(returns.return_receive)

    @extend_schema(request=CloseSerializer, responses=ReturnSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, uuid: str | None = None) -> Response:
        rma = self.get_object()
        payload = CloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rma = returns.return_close(actor=request.user, rma=rma,
                                    resolution=payload.validated_data["resolution"])
        return Response(ReturnSerializer(rma).data)


class ServiceLevelRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The account's name, the segment (— for none), or "
                                          "empty by month.")
    account = serializers.UUIDField(allow_null=True, help_text="By account only.")
    month = serializers.DateField(help_text="The first day of the month of the promised date.")
    due = serializers.IntegerField(help_text="Orders due (promised by today, not cancelled).")
    on_time = serializers.IntegerField()
    filled = serializers.IntegerField()
    perfect = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text="Percent of those due.")
    order_fill_rate = serializers.FloatField(
        allow_null=True, help_text="Order fill rate: percent of those due shipped complete in a "
                                   "single delivery.")
    perfect_rate = serializers.FloatField(allow_null=True)


class ServiceLevelViewSet(TenantScopedMixin, viewsets.ViewSet):
    """On-time delivery, order fill and perfect-order rates per account, segment or month."""

    permission_domain = "sales"
    queryset = Order.objects.none()

    @extend_schema(parameters=[OpenApiParameter("by", str,
                                                enum=["account", "segment", "month"])],
                   responses=ServiceLevelRowSerializer(many=True))
    def list(self, request: Request) -> Response:
        by = request.query_params.get("by", "account")
        if by not in ("account", "segment", "month"):
            raise serializers.ValidationError({"by": ["Choose account, segment or month."]})
        return Response(selectors.service_indicators(by=by, user=request.user))
