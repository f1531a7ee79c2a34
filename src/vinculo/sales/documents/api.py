"""REST API of quotes, orders and deliveries: thin, every write goes through the services."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import ScopedRelatedField, TenantScopedMixin
from vinculo.core.api_lines import DocumentSerializer, LineInputSerializer, PricedLineSerializer
from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.customers.models import Account, Contact
from vinculo.sales.documents import services
from vinculo.sales.documents.pdf import quote_pdf
from vinculo.sales.models import Delivery, DeliveryLine, Opportunity, Order, OrderLine, Quote

LINE_OUTPUT = ("position", "product", "description", "quantity", "unit_price",
               "discount_percent", "tax_rate", "net_amount", "tax_amount", "total_amount")


class OrderLineSerializer(PricedLineSerializer):
    id = serializers.UUIDField(source="uuid")
    delivered_quantity = serializers.DecimalField(max_digits=12, decimal_places=3)


class QuoteSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    contact = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    opportunity = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                               allow_null=True)
    lines = PricedLineSerializer(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = ("id", "version", "number", "revision", "status", "account", "contact",
                  "opportunity", "currency", "valid_until", "notes", "net_amount",
                  "tax_amount", "total_amount", "sent_at", "created_at", "lines")
        read_only_fields = fields


class QuoteInputSerializer(DocumentSerializer):
    """A new quote: answers the quote (``QuoteSerializer``)."""

    account = ScopedRelatedField(Account)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    opportunity = ScopedRelatedField(Opportunity, required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=TEXT_MAX_LENGTH,
                                  required=False, allow_blank=True, default="")
    lines = LineInputSerializer(many=True)

    create_service = staticmethod(services.quote_create)
    output_serializer = QuoteSerializer

    class Meta:
        model = Quote
        fields = ("account", "contact", "opportunity", "currency", "valid_until", "notes",
                  "lines")


class QuoteUpdateSerializer(DocumentSerializer):
    """A change: a sent quote answers its new version."""

    version = serializers.IntegerField(min_value=1)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)
    lines = LineInputSerializer(many=True, required=False)

    update_service = staticmethod(services.quote_update)
    output_serializer = QuoteSerializer
    instance_kwarg = "quote"

    class Meta:
        model = Quote
        fields = ("version", "contact", "valid_until", "notes", "lines")


class SendSerializer(serializers.Serializer):
    to = serializers.ListField(child=serializers.EmailField(), required=False)


class AcceptSerializer(serializers.Serializer):
    promised_date = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="Empty: the delivery lead time of the customer's service package.")


class OrderSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    quote = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ("id", "version", "number", "status", "account", "quote", "currency",
                  "ordered_on", "promised_date", "delivered_on", "notes", "net_amount",
                  "tax_amount", "total_amount", "lines")
        read_only_fields = fields


@extend_schema_view(
    create=extend_schema(request=QuoteInputSerializer, responses={201: QuoteSerializer}),
    partial_update=extend_schema(request=QuoteUpdateSerializer, responses=QuoteSerializer),
)
class QuoteViewSet(TenantScopedMixin, mixins.CreateModelMixin, mixins.ListModelMixin,
                   mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Quotes; a change to a sent quote answers its new version. ``send`` e-mails the PDF,
    ``accept`` makes the order."""

    queryset = Quote.objects.none()
    serializer_class = QuoteSerializer
    lookup_field = "uuid"
    http_method_names = ["get", "post", "patch", "head", "options"]  # no PUT: PATCH changes
    permission_domain = "sales"
    action_permissions = {"send": "sales.change", "accept": "sales.add",
                          "reject": "sales.change", "pdf": "sales.view",
                          "partial_update": "sales.change"}

    def scoped_queryset(self) -> QuerySet:
        return (Quote.objects.select_related("account", "contact", "opportunity")
                .prefetch_related("lines__product").order_by("-created_at", "-id"))

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return {"create": QuoteInputSerializer,
                "partial_update": QuoteUpdateSerializer}.get(self.action, QuoteSerializer)

    @extend_schema(request=SendSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, uuid: str | None = None) -> Response:
        """Mark sent and queue the e-mail with the PDF: retried when the mail server is down,
        marked transactional and on the customer's timeline."""
        quote = self.get_object()
        payload = SendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        quote = services.quote_send(actor=request.user, quote=quote,
                                    to=payload.validated_data.get("to"))
        return Response(QuoteSerializer(quote).data)

    @extend_schema(request=AcceptSerializer, responses={201: OrderSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, uuid: str | None = None) -> Response:
        """The customer accepted: answers the new order."""
        quote = self.get_object()
        payload = AcceptSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order = services.quote_accept(actor=request.user, quote=quote,
                                      promised_date=payload.validated_data["promised_date"])
        return Response(OrderSerializer(order).data, status=201)

    @extend_schema(request=None, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, uuid: str | None = None) -> Response:
        quote = services.quote_reject(actor=request.user, quote=self.get_object())
        return Response(QuoteSerializer(quote).data)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, uuid: str | None = None) -> HttpResponse:
        quote = self.get_object()
        response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{quote.number}-v{quote.revision}.pdf"'
        return response


class OrderInputSerializer(DocumentSerializer):
    """A new order: answers the order (``OrderSerializer``)."""

    account = ScopedRelatedField(Account)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, required=False)
    ordered_on = serializers.DateField(required=False)
    promised_date = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="Empty: the delivery lead time of the customer's service package.")
    notes = serializers.CharField(max_length=TEXT_MAX_LENGTH,
                                  required=False, allow_blank=True, default="")
    lines = LineInputSerializer(many=True)

    create_service = staticmethod(services.order_create)
    output_serializer = OrderSerializer

    class Meta:
        model = Order
        fields = ("account", "contact", "currency", "ordered_on", "promised_date", "notes",
                  "lines")


class DeliveryLineInputSerializer(serializers.Serializer):
    order_line = serializers.UUIDField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)


class DeliverSerializer(serializers.Serializer):
    delivered_on = serializers.DateField(required=False)
    notes = serializers.CharField(max_length=TEXT_MAX_LENGTH,
                                  required=False, allow_blank=True, default="")
    lines = DeliveryLineInputSerializer(many=True)


class DeliveryLineSerializer(serializers.ModelSerializer):
    order_line = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    description = serializers.CharField(source="order_line.description", read_only=True)

    class Meta:
        model = DeliveryLine
        fields = ("order_line", "description", "quantity")


class DeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    order = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    lines = DeliveryLineSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ("id", "number", "order", "delivered_on", "is_replacement", "notes", "lines")
        read_only_fields = fields


@extend_schema_view(
    create=extend_schema(request=OrderInputSerializer, responses={201: OrderSerializer}),
)
class OrderViewSet(TenantScopedMixin, mixins.CreateModelMixin, mixins.ListModelMixin,
                   mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders; ``deliver`` records a delivery (partial or complete), ``cancel`` cancels."""

    queryset = Order.objects.none()
    serializer_class = OrderSerializer
    lookup_field = "uuid"
    permission_domain = "sales"
    action_permissions = {"deliver": "sales.change", "cancel": "sales.change"}

    def scoped_queryset(self) -> QuerySet:
        return (Order.objects.select_related("account", "quote").prefetch_related("lines")
                .order_by("-ordered_on", "-id"))

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return OrderInputSerializer if self.action == "create" else OrderSerializer

    @extend_schema(request=DeliverSerializer, responses={201: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, uuid: str | None = None) -> Response:
        order = self.get_object()
        payload = DeliverSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        by_uuid = {line.uuid: line for line in OrderLine.objects.filter(order=order)}
        lines = []
        for index, item in enumerate(payload.validated_data["lines"]):
            line = by_uuid.get(item["order_line"])
            if line is None:
                raise serializers.ValidationError(
                    {f"lines.{index}.order_line": ["Not a line of this order."]})
            lines.append((line, item["quantity"]))
        delivery = services.delivery_create(
            actor=request.user, order=order, lines=lines,
            delivered_on=payload.validated_data.get("delivered_on"),
            notes=payload.validated_data["notes"])
        return Response(DeliverySerializer(delivery).data, status=201)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, uuid: str | None = None) -> Response:
        order = services.order_cancel(actor=request.user, order=self.get_object())
        return Response(OrderSerializer(order).data)


class DeliveryViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Deliveries (created through ``orders/{id}/deliver/``)."""

    queryset = Delivery.objects.none()
    serializer_class = DeliverySerializer
    lookup_field = "uuid"
    permission_domain = "sales"

    def scoped_queryset(self) -> QuerySet:
        return (Delivery.objects.select_related("order")
                .prefetch_related("lines__order_line").order_by("-delivered_on", "-id"))
