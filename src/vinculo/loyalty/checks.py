"""Checks of a programme's earn rules, tiers and rewards (JSON lists on the programme): each
error names the item and the part at fault (``tiers[1].threshold``), and what passes comes
back normalised (numbers as strings of decimals, references as UUID strings)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from vinculo.analytics.models import VALUE_TIERS
from vinculo.catalog.models import Category, Product, ProductLine
from vinculo.loyalty.benefits import package_names
from vinculo.marketing.models import Campaign

RULE_KINDS = ("category", "product_line", "campaign", "review", "referral")
REWARD_KINDS = ("coupon", "quote_discount", "free_product", "credit_note")
#: Value tiers of the analytics snapshot, lowest first: a tier qualifies at its own or above.
VALUE_ORDER = tuple(reversed(VALUE_TIERS))
BONUS_KINDS = ("campaign", "review", "referral")
MAX_ITEMS = 50


def _number(value: Any, key: str, *, minimum: Decimal = Decimal(0),
            whole: bool = False) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({key: _("Enter a number.")}) from None
    if not number.is_finite() or number < minimum:
        raise ValidationError({key: _("Enter a number of at least %(min)s.") % {"min": minimum}})
    if whole and number != number.to_integral_value():
        raise ValidationError({key: _("Enter a whole number.")})
    return number


def _text(value: Any, key: str, limit: int = 100) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ValidationError({key: _("This field is required.")})
    return text[:limit]


def _list(value: Any, key: str) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValidationError({key: _("Enter a list of objects.")})
    if len(value) > MAX_ITEMS:
        raise ValidationError({key: _("At most %(n)s items.") % {"n": MAX_ITEMS}})
    return value


def _reference(model: Any, value: Any, key: str, organization_id: int) -> str:
    try:
        found = model.all_objects.filter(organization_id=organization_id,
                                         uuid=str(value)).exists()
    except (ValueError, ValidationError):
        found = False
    if not found:
        raise ValidationError({key: _("Not found.")})
    return str(value)


def earn_rules(value: Any, organization_id: int) -> list[dict[str, Any]]:
    """``category``/``product_line`` (with its UUID and ``points_per_unit``, replacing the
    programme's rate for those lines), ``campaign`` (a campaign's UUID and ``points`` for
    each member whose account converted), ``review`` and ``referral`` (``points`` awarded by
    hand)."""
    rules = []
    for index, item in enumerate(_list(value, "earn_rules")):
        key = f"earn_rules[{index}]"
        kind = item.get("kind")
        if kind not in RULE_KINDS:
            raise ValidationError({f"{key}.kind": _("Choose one of: %(kinds)s.")
                                   % {"kinds": ", ".join(RULE_KINDS)}})
        rule: dict[str, Any] = {"kind": kind}
        if kind == "category":
            rule["category"] = _reference(Category, item.get("category"), f"{key}.category",
                                          organization_id)
        elif kind == "product_line":
            rule["line"] = _reference(ProductLine, item.get("line"), f"{key}.line",
                                      organization_id)
        elif kind == "campaign":
            rule["campaign"] = _reference(Campaign, item.get("campaign"), f"{key}.campaign",
                                          organization_id)
        if kind in ("category", "product_line"):
            rule["points_per_unit"] = str(_number(item.get("points_per_unit"),
                                                  f"{key}.points_per_unit"))
        else:
            rule["points"] = int(_number(item.get("points"), f"{key}.points",
                                         minimum=Decimal(1), whole=True))
        rules.append(rule)
    return rules


def tiers(value: Any, basis: str = "points", organization_id: int | None = None
          ) -> list[dict[str, Any]]:
    """Tiers, lowest first, each qualifying by a ``threshold`` (points or spend in the window)
    or, when the programme qualifies by value tier, by a ``value_tier`` of the analytics
    snapshot (that tier or a better one); each with a points ``multiplier`` (≥ 1), the
    ``offers`` it gives, in words, and an optional service ``package`` (a package's UUID) its
    members get. Names are unique."""
    result, names = [], set()
    packages = package_names(organization_id) if organization_id is not None else {}
    for index, item in enumerate(_list(value, "tiers")):
        key = f"tiers[{index}]"
        name = _text(item.get("name"), f"{key}.name")
        if name.lower() in names:
            raise ValidationError({f"{key}.name": _("Two tiers have this name.")})
        names.add(name.lower())
        tier: dict[str, Any] = {"name": name}
        if basis == "value_tier":
            if item.get("value_tier") not in VALUE_ORDER:
                raise ValidationError({f"{key}.value_tier": _("Choose one of: %(kinds)s.")
                                       % {"kinds": ", ".join(VALUE_TIERS)}})
            tier["value_tier"] = item["value_tier"]
            tier["threshold"] = str(VALUE_ORDER.index(item["value_tier"]))
        else:
            tier["threshold"] = str(_number(item.get("threshold"), f"{key}.threshold"))
        tier["multiplier"] = str(_number(item.get("multiplier", 1), f"{key}.multiplier",
                                         minimum=Decimal(1)))
        tier["offers"] = str(item.get("offers") or "").strip()[:500]
        if item.get("package") not in (None, ""):
            if str(item["package"]) not in packages:
                raise ValidationError({f"{key}.package": _("Not found.")})
            tier["package"] = str(item["package"])
        result.append(tier)
    ordered = sorted(result, key=lambda tier: Decimal(tier["threshold"]))
    for lower, higher in pairwise(ordered):
        if Decimal(lower["threshold"]) == Decimal(higher["threshold"]):
            index = result.index(higher)
            part = "value_tier" if basis == "value_tier" else "threshold"
            raise ValidationError({f"tiers[{index}].{part}": _(
                "Two tiers qualify at the same level.")})
    return ordered


def rewards(value: Any, organization_id: int | None = None) -> list[dict[str, Any]]:
    """Rewards a member exchanges points for: a ``coupon`` (a code worth ``value``), a
    ``quote_discount`` (a discount of ``value`` on a draft quote, by the sales service), a
    ``free_product`` (``quantity`` of a ``product``, by its UUID, on a draft quote at no
    price; ``value`` is what it costs the company) or a ``credit_note`` (a credit note of
    ``value`` on one of the customer's invoices, by the billing service)."""
    result, keys = [], set()
    for index, item in enumerate(_list(value, "rewards")):
        key = f"rewards[{index}]"
        name = _text(item.get("name"), f"{key}.name")
        kind = item.get("kind")
        if kind not in REWARD_KINDS:
            raise ValidationError({f"{key}.kind": _("Choose one of: %(kinds)s.")
                                   % {"kinds": ", ".join(REWARD_KINDS)}})
        code = _text(item.get("key") or name, f"{key}.key", 100)
        if code.lower() in keys:
            raise ValidationError({f"{key}.key": _("Two rewards have this key.")})
        keys.add(code.lower())
        reward: dict[str, Any] = {
            "key": code, "name": name, "kind": kind,
            "points": int(_number(item.get("points"), f"{key}.points", minimum=Decimal(1),
                                  whole=True)),
            "value": str(_number(item.get("value"), f"{key}.value").quantize(Decimal("0.01")))}
        if kind == "free_product":
            if organization_id is None:
                raise ValidationError({f"{key}.product": _("Not found.")})
            reward["product"] = _reference(Product, item.get("product"), f"{key}.product",
                                           organization_id)
            reward["quantity"] = int(_number(item.get("quantity", 1), f"{key}.quantity",
                                             minimum=Decimal(1), whole=True))
        elif kind == "credit_note" and Decimal(reward["value"]) <= 0:
            raise ValidationError({f"{key}.value": _("Enter a number of at least %(min)s.")
                                   % {"min": "0.01"}})
        result.append(reward)
    return result
