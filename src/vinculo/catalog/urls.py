from django.urls import path

from vinculo.catalog import views, views_supplier

app_name = "catalog"

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product_list"),
    path("products/new/", views.ProductCreateView.as_view(), name="product_create"),
    path("products/<uuid:uuid>/", views.ProductDetailView.as_view(), name="product_detail"),
    path("products/<uuid:uuid>/edit/", views.ProductUpdateView.as_view(), name="product_update"),
    path("products/<uuid:uuid>/delete/", views.ProductDeleteView.as_view(), name="product_delete"),
    path("products/<uuid:uuid>/suppliers/", views_supplier.ProductSupplierSetView.as_view(),
         name="product_supplier_set"),
    path("product-suppliers/<uuid:uuid>/delete/",
         views_supplier.ProductSupplierDeleteView.as_view(), name="product_supplier_delete"),
    path("categories/", views.CategoryListView.as_view(), name="category_list"),
    path("categories/new/", views.CategoryCreateView.as_view(), name="category_create"),
    path(
        "categories/<uuid:uuid>/edit/", views.CategoryUpdateView.as_view(), name="category_update"
    ),
    path(
        "categories/<uuid:uuid>/delete/",
        views.CategoryDeleteView.as_view(),
        name="category_delete",
    ),
    path(
        "categories/<uuid:uuid>/lines/new/",
        views.ProductLineCreateView.as_view(),
        name="line_create",
    ),
    path("lines/<uuid:uuid>/edit/", views.ProductLineUpdateView.as_view(), name="line_update"),
    path("lines/<uuid:uuid>/delete/", views.ProductLineDeleteView.as_view(), name="line_delete"),
    path("price-lists/", views.PriceListListView.as_view(), name="price_list_list"),
    path("price-lists/new/", views.PriceListCreateView.as_view(), name="price_list_create"),
    path("price-lists/<uuid:uuid>/", views.PriceListDetailView.as_view(), name="price_list_detail"),
    path(
        "price-lists/<uuid:uuid>/edit/",
        views.PriceListUpdateView.as_view(),
        name="price_list_update",
    ),
    path(
        "price-lists/<uuid:uuid>/delete/",
        views.PriceListDeleteView.as_view(),
        name="price_list_delete",
    ),
    path(
        "price-lists/<uuid:uuid>/items/",
        views.PriceListItemAddView.as_view(),
        name="price_list_item_add",
    ),
    path(
        "price-list-items/<uuid:uuid>/delete/",
        views.PriceListItemDeleteView.as_view(),
        name="price_list_item_delete",
    ),
    path("exchange-rates/", views.ExchangeRateListView.as_view(), name="exchange_rate_list"),
    path(
        "exchange-rates/new/", views.ExchangeRateCreateView.as_view(), name="exchange_rate_create"
    ),
    path(
        "exchange-rates/<uuid:uuid>/delete/",
        views.ExchangeRateDeleteView.as_view(),
        name="exchange_rate_delete",
    ),
]
