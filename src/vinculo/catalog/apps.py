from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import ApiRoute, Contract, DemoGenerator, Menu, MenuItem, VinculoApp
from vinculo.core.roles import ALL, Role, only

_MANAGERS = only(Role.ADMIN, Role.SALES_MANAGER)


class CatalogConfig(VinculoApp):
    name = "vinculo.catalog"
    label = "catalog"
    verbose_name = _("Catalog")
    contract = Contract(
        url_prefix="catalog/",
        api_routes=(
            ApiRoute("catalog/categories", "vinculo.catalog.api.CategoryViewSet",
                     "catalog-category"),
            ApiRoute("catalog/lines", "vinculo.catalog.api.ProductLineViewSet", "catalog-line"),
            ApiRoute("catalog/products", "vinculo.catalog.api.ProductViewSet", "catalog-product"),
            ApiRoute("catalog/price-lists", "vinculo.catalog.api.PriceListViewSet",
                     "catalog-price-list"),
            ApiRoute("catalog/price-list-items", "vinculo.catalog.api.PriceListItemViewSet",
                     "catalog-price-list-item"),
            ApiRoute("catalog/product-suppliers",
                     "vinculo.catalog.api_supplier.ProductSupplierViewSet",
                     "catalog-product-supplier"),
            ApiRoute("catalog/exchange-rates", "vinculo.catalog.api.ExchangeRateViewSet",
                     "catalog-exchange-rate"),
        ),
        permissions={
            "catalog.view": ALL,
            "catalog.add": _MANAGERS,
            "catalog.change": _MANAGERS,
            "catalog.delete": _MANAGERS,
        },
        menus=(Menu("catalog", _("Catalog"), order=20),),
        menu_items=(
            MenuItem("catalog", _("Products and services"), "catalog:product_list",
                     "catalog.view", order=10),
            MenuItem("catalog", _("Categories and lines"), "catalog:category_list",
                     "catalog.view", order=20),
            MenuItem("catalog", _("Price lists"), "catalog:price_list_list", "catalog.view",
                     order=30),
            MenuItem("catalog", _("Exchange rates"), "catalog:exchange_rate_list",
                     "catalog.view", order=40),
        ),
        demo=DemoGenerator("vinculo.catalog.demo.generate", order=150,
                           estimate="vinculo.catalog.demo.estimate"),
    )
