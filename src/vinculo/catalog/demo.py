"""Demo catalogue: a few categories, lines and products, written through the services."""

from __future__ import annotations

from decimal import Decimal

from vinculo.catalog import services
from vinculo.core.audit import acting_as
from vinculo.core.demo import DemoContext
from vinculo.core.tenancy import organization_scope

# (category code, name, [(line code, name, [(product code, name, kind, unit, cost, price, tax)])])
CATALOGUE = (
    ("01", "Aceites y conservas", (
        ("01", "Aceite de oliva", (
            ("0001", "Aceite de oliva virgen extra 5 l", "product", "unit", "18.00", "32.50", "10"),
            ("0002", "Aceite de oliva virgen extra 1 l", "product", "unit", "4.10", "7.90", "10"),
            ("0003", "Aceite ecológico 750 ml", "product", "unit", "5.20", "11.40", "10"),
        )),
        ("02", "Conservas", (
            ("0001", "Bonito del norte 250 g", "product", "unit", "2.90", "5.80", "10"),
            ("0002", "Pimientos del piquillo 390 g", "product", "unit", "1.60", "3.45", "10"),
        )),
    )),
    ("02", "Vinos", (
        ("01", "Tintos", (
            ("0001", "Rioja crianza (caja 6)", "product", "box", "27.00", "54.00", "21"),
            ("0002", "Ribera del Duero roble (caja 6)", "product", "box", "24.00", "47.50", "21"),
        )),
        ("02", "Blancos", (
            ("0001", "Albariño (caja 6)", "product", "box", "29.00", "58.00", "21"),
            ("0002", "Verdejo (caja 6)", "product", "box", "19.00", "38.00", "21"),
        )),
    )),
    ("03", "Services", (
        ("01", "Logistics", (
            ("0001", "Express delivery", "service", "unit", "6.00", "12.00", "21"),
            ("0002", "Pallet storage (month)", "service", "month", "14.00", "30.00", "21"),
        )),
        ("02", "Training", (
            ("0001", "Tasting workshop (hour)", "service", "hour", "25.00", "60.00", "21"),
        )),
    )),
)


def estimate(customers: int) -> int:
    """Rows written for ``customers`` customers (the demo's progress bar)."""
    return 30


def generate(ctx: DemoContext) -> dict[str, int]:
    admin = ctx.users["admin"]
    products = []
    with organization_scope(ctx.organization), acting_as(admin):
        for cat_code, cat_name, lines in CATALOGUE:
            category = services.category_create(actor=admin,
                                                data={"code": cat_code, "name": cat_name})
            for line_code, line_name, items in lines:
                line = services.product_line_create(actor=admin, category=category,
                                                    data={"code": line_code, "name": line_name})
                for code, name, kind, unit, cost, price, tax in items:
                    products.append(services.product_create(actor=admin, data={
                        "line": line, "code": code, "name": name, "kind": kind, "unit": unit,
                        "cost_price": Decimal(cost), "list_price": Decimal(price),
                        "tax_rate": Decimal(tax)}))
    ctx.shared["products"] = [(p.pk, p.name, p.list_price, p.tax_rate) for p in products]
    ctx.progress.update(len(products))
    return {"products": len(products)}
