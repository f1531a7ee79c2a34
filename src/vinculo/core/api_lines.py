"""The lines of a document in the API (quote, order, invoice, credit note): one shape for all.

Input lines name a catalogue product by UUID (the model is looked up by label, as in
:mod:`vinculo.core.forms_lines`, since ``catalog`` sits above ``core``); output lines carry
the priced amounts. :class:`DocumentSerializer` hands a document's lines to its service.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from vinculo.core.api_base import ScopedRelatedField, ServiceSerializer
from vinculo.core.forms_lines import PRODUCT_MODEL


class LineInputSerializer(serializers.Serializer):
    product = ScopedRelatedField(PRODUCT_MODEL, required=False, allow_null=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                          allow_null=True)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False,
                                                default=0)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False,
                                        allow_null=True)


class PricedLineSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    product = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    net_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2)


def service_lines(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input lines as the pricing services take them: a value left out is not ``None``."""
    return [{k: v for k, v in line.items() if v is not None} for line in data]


class DocumentSerializer(ServiceSerializer):
    """A document's input: the header fields go to the service as keywords on create and as
    ``data`` on update; ``lines`` (absent on an update: unchanged) as ``lines``."""

    def service_kwargs(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        data = dict(validated_data)
        lines = data.pop("lines", None)
        kwargs: dict[str, Any] = {}
        if lines is not None:
            kwargs["lines"] = service_lines(lines)
        if self.instance is None:
            return {**data, **kwargs}
        return {"data": data, **kwargs}
