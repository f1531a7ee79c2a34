"""Category → line → product codes: widths, full codes, uniqueness, renumbering, permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.catalog.factories import CategoryFactory, ProductFactory, ProductLineFactory
from tests.core.factories import as_user
from vinculo.catalog import services
from vinculo.catalog.models import Category, Product, ProductLine
from vinculo.core.deletion import InUseError
from vinculo.core.models import AuditEntry
from vinculo.core.services import ConflictError, PermissionDeniedError


@pytest.fixture
def line(as_admin):
    category = services.category_create(actor=as_admin, data={"code": "01", "name": "Café"})
    return services.product_line_create(
        actor=as_admin, category=category, data={"code": "03", "name": "Grano"}
    )


@pytest.mark.django_db
def test_full_code_is_built_from_category_line_and_product(as_admin, line):
    product = services.product_create(
        actor=as_admin,
        data={
            "line": line,
            "code": "0007",
            "name": "Arábica 1 kg",
            "unit": "kg",
            "list_price": Decimal("18.50"),
            "cost_price": Decimal("9.10"),
            "tax_rate": Decimal("10.00"),
            "kind": "product",
        },
    )
    assert product.full_code == "01-03-0007"
    assert product.currency == "EUR"  # the organisation's base currency by default
    product.refresh_from_db()
    assert (product.full_code, product.list_price, product.tax_rate) == (
        "01-03-0007",
        Decimal("18.50"),
        Decimal("10.00"),
    )
    assert product.search_text == "arabica 1 kg"


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["7", "007", "00007", "00a7", " ", "", "٠٠٠٧", "-007"])
def test_bad_product_code_names_the_field_and_writes_nothing(as_admin, line, code):
    with pytest.raises(ValidationError) as error:
        services.product_create(actor=as_admin, data={"line": line, "code": code, "name": "X"})
    assert list(error.value.message_dict) == ["code"]
    assert "4" in error.value.message_dict["code"][0]
    assert not Product.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["1", "001", "a1", "1 "])
def test_bad_category_and_line_codes_name_the_field(as_admin, line, code):
    with pytest.raises(ValidationError) as error:
        services.category_create(actor=as_admin, data={"code": code, "name": "Té"})
    assert list(error.value.message_dict) == ["code"]
    with pytest.raises(ValidationError) as error:
        services.product_line_create(
            actor=as_admin, category=line.category, data={"code": code, "name": "Molido"}
        )
    assert list(error.value.message_dict) == ["code"]
    assert Category.objects.count() == 1 and ProductLine.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("currency", "EURO"),
        ("currency", "€"),
        ("tax_rate", Decimal("101")),
        ("tax_rate", Decimal("-1")),
        ("list_price", Decimal("-0.01")),
        ("cost_price", "abc"),
        ("kind", "gadget"),
        ("unit", "bushel"),
        ("name", ""),
    ],
)
def test_bad_product_fields_are_named(as_admin, line, field, value):
    data = {"line": line, "code": "0001", "name": "Descafeinado", field: value}
    with pytest.raises(ValidationError) as error:
        services.product_create(actor=as_admin, data=data)
    assert field in error.value.message_dict
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_full_code_is_unique_per_organisation_with_a_clear_error(as_admin, line, other_admin):
    services.product_create(actor=as_admin, data={"line": line, "code": "0007", "name": "A"})
    with pytest.raises(ValidationError) as error:
        services.product_create(actor=as_admin, data={"line": line, "code": "0007", "name": "B"})
    assert error.value.message_dict == {"code": ["A product with code 01-03-0007 already exists."]}
    assert Product.objects.count() == 1
    # the same code in another organisation is fine
    other_line = ProductLineFactory(
        actor=other_admin, category=CategoryFactory(actor=other_admin, code="01"), code="03"
    )
    other = ProductFactory(actor=other_admin, line=other_line, code="0007")
    assert other.full_code == "01-03-0007"


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_full_code(as_admin, line):
    product = services.product_create(
        actor=as_admin, data={"line": line, "code": "0007", "name": "A"}
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.all_objects.create(
            organization=product.organization,
            line=line,
            code="0007",
            full_code="01-03-0007",
            name="B",
            currency="EUR",
        )


@pytest.mark.django_db
def test_duplicate_category_and_line_codes_are_refused(as_admin, line):
    with pytest.raises(ValidationError) as error:
        services.category_create(actor=as_admin, data={"code": "01", "name": "Otra"})
    assert error.value.message_dict == {"code": ["A category with code 01 already exists."]}
    with pytest.raises(ValidationError) as error:
        services.product_line_create(
            actor=as_admin, category=line.category, data={"code": "03", "name": "Otra"}
        )
    assert error.value.message_dict == {"code": ["Category 01 already has a line with code 03."]}
    # the same line code in another category is fine
    tea = services.category_create(actor=as_admin, data={"code": "02", "name": "Té"})
    assert (
        services.product_line_create(
            actor=as_admin, category=tea, data={"code": "03", "name": "Verde"}
        ).full_code
        == "02-03"
    )


@pytest.mark.django_db
def test_changing_a_category_code_renumbers_its_products(as_admin, line):
    other_line = services.product_line_create(
        actor=as_admin, category=line.category, data={"code": "04", "name": "Molido"}
    )
    tea = services.category_create(actor=as_admin, data={"code": "02", "name": "Té"})
    tea_line = services.product_line_create(
        actor=as_admin, category=tea, data={"code": "03", "name": "Verde"}
    )
    a = ProductFactory(actor=as_admin, line=line, code="0007")
    b = ProductFactory(actor=as_admin, line=other_line, code="0001")
    c = ProductFactory(actor=as_admin, line=tea_line, code="0007")
    category = line.category
    services.category_update(
        actor=as_admin, category=category, data={"code": "09"}, expected_version=category.version
    )
    codes = dict(Product.objects.values_list("pk", "full_code"))
    assert codes == {a.pk: "09-03-0007", b.pk: "09-04-0001", c.pk: "02-03-0007"}
    # the renumbered products moved to a new version: a stale editor gets a conflict
    a_version = a.version
    assert Product.objects.get(pk=a.pk).version == a_version + 1
    with pytest.raises(ConflictError):
        services.product_update(
            actor=as_admin, product=a, data={"name": "Viejo"}, expected_version=a_version
        )


@pytest.mark.django_db
def test_changing_a_line_code_renumbers_its_products_only(as_admin, line):
    sibling = services.product_line_create(
        actor=as_admin, category=line.category, data={"code": "04", "name": "Molido"}
    )
    a = ProductFactory(actor=as_admin, line=line, code="0007")
    b = ProductFactory(actor=as_admin, line=sibling, code="0007")
    services.product_line_update(
        actor=as_admin, line=line, data={"code": "05"}, expected_version=line.version
    )
    assert Product.objects.get(pk=a.pk).full_code == "01-05-0007"
    assert Product.objects.get(pk=b.pk).full_code == "01-04-0007"


@pytest.mark.django_db
def test_a_code_change_onto_a_taken_code_changes_nothing(as_admin, line):
    sibling = services.product_line_create(
        actor=as_admin, category=line.category, data={"code": "04", "name": "Molido"}
    )
    a = ProductFactory(actor=as_admin, line=line, code="0007")
    with pytest.raises(ValidationError) as error:
        services.product_line_update(
            actor=as_admin, line=line, data={"code": "04"}, expected_version=line.version
        )
    assert "code" in error.value.message_dict
    assert Product.objects.get(pk=a.pk).full_code == "01-03-0007"
    assert ProductLine.objects.get(pk=line.pk).code == "03"
    assert ProductLine.objects.get(pk=sibling.pk).code == "04"


@pytest.mark.django_db
def test_moving_a_product_to_another_line_recomputes_its_code(as_admin, line):
    tea = services.category_create(actor=as_admin, data={"code": "02", "name": "Té"})
    tea_line = services.product_line_create(
        actor=as_admin, category=tea, data={"code": "01", "name": "Verde"}
    )
    product = ProductFactory(actor=as_admin, line=line, code="0007")
    services.product_update(
        actor=as_admin, product=product, data={"line": tea_line}, expected_version=product.version
    )
    assert Product.objects.get(pk=product.pk).full_code == "02-01-0007"


@pytest.mark.django_db
def test_categories_and_lines_in_use_cannot_be_deleted(as_admin, line):
    ProductFactory(actor=as_admin, line=line)
    with pytest.raises(InUseError, match="1 product"):
        services.product_line_delete(actor=as_admin, line=line)
    with pytest.raises(InUseError, match="1 product line"):
        services.category_delete(actor=as_admin, category=line.category)
    assert ProductLine.objects.filter(pk=line.pk).exists()


@pytest.mark.django_db
def test_a_product_change_is_audited(as_admin, line):
    product = ProductFactory(actor=as_admin, line=line, name="Arábica")
    services.product_update(
        actor=as_admin,
        product=product,
        data={"list_price": Decimal("12.00")},
        expected_version=product.version,
    )
    entry = AuditEntry.objects.filter(object_uuid=product.uuid, action="update").get()
    assert entry.changes["list_price"] == ["10.00", "12.00"]
    assert entry.actor == as_admin


@pytest.mark.django_db
def test_roles_without_catalog_change_cannot_write(users, line):

    rep = users["sales_rep"]
    with as_user(rep), pytest.raises(PermissionDeniedError):
        services.product_create(actor=rep, data={"line": line, "code": "0001", "name": "X"})
    manager = users["sales_manager"]
    with as_user(manager):
        assert (
            services.product_create(
                actor=manager, data={"line": line, "code": "0001", "name": "X"}
            ).full_code
            == "01-03-0001"
        )
