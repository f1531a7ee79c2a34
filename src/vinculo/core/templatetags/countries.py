"""``{{ code|country_name }}``: an ISO country code shown by its name in the user's language."""

from __future__ import annotations

from django import template

from vinculo.core.countries import country_name as _country_name

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    return _country_name(code)
