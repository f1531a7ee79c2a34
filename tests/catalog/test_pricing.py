"""Price resolution (account → segment → general → converted list price) and conversion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.catalog.factories import (
    ExchangeRateFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
)
from tests.customers.factories import AccountFactory
from vinculo.catalog import selectors, services
from vinculo.catalog.selectors import ExchangeRateMissingError, convert, price_for
from vinculo.core.tenancy import ScopeError, organization_scope

D = dt.date
JAN1, FEB1, MAR1, JUN30 = D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1), D(2026, 6, 30)


@pytest.fixture
def product(as_admin):
    return ProductFactory(actor=as_admin, list_price=Decimal("100.00"), currency="EUR")


@pytest.fixture
def account(as_admin):
    return AccountFactory(actor=as_admin, name="Bodegas Norte SA")


def _list(actor, product, price, **data):
    price_list = PriceListFactory(actor=actor, **data)
    PriceListItemFactory(actor=actor, price_list=price_list, product=product, price=price)
    return price_list


@pytest.fixture
def all_levels(as_admin, product, account):
    """A general, a wholesale and an account list, all in EUR and valid from 1 January."""
    return {
        "general": _list(as_admin, product, "90.00", name="General"),
        "segment": _list(as_admin, product, "80.00", name="Mayorista", segment="wholesale"),
        "account": _list(as_admin, product, "70.00", name="Norte", account=account),
    }


def resolve(product, **kwargs):
    kwargs.setdefault("currency", "EUR")
    kwargs.setdefault("on_date", FEB1)
    return price_for(product=product, **kwargs)


@pytest.mark.django_db
class TestPrecedence:
    def test_account_list_wins_over_segment_and_general(self, all_levels, product, account):
        found = resolve(product, account=account, segment="wholesale")
        assert (found.amount, found.source, found.price_list) == (
            Decimal("70.00"),
            "account",
            all_levels["account"],
        )

    def test_segment_list_wins_over_general(self, all_levels, product, as_admin):
        other = AccountFactory(actor=as_admin, name="Sin tarifa SL")
        found = resolve(product, account=other, segment="wholesale")
        assert (found.amount, found.source) == (Decimal("80.00"), "segment")

    def test_general_list_when_no_account_or_segment_list_applies(self, all_levels, product):
        assert resolve(product).source == "general"
        assert resolve(product).amount == Decimal("90.00")
        assert resolve(product, segment="retail").amount == Decimal("90.00")

    def test_list_price_when_no_list_prices_the_product(self, all_levels, as_admin, account):
        unlisted = ProductFactory(actor=as_admin, list_price=Decimal("55.55"))
        found = resolve(unlisted, account=account, segment="wholesale")
        assert (found.amount, found.source, found.price_list) == (
            Decimal("55.55"),
            "list_price",
            None,
        )

    def test_an_account_list_without_the_product_falls_through(self, as_admin, product, account):
        other_product = ProductFactory(actor=as_admin)
        _list(as_admin, other_product, "1.00", account=account)
        _list(as_admin, product, "80.00", segment="wholesale")
        assert resolve(product, account=account, segment="wholesale").source == "segment"

    def test_another_accounts_or_segments_list_never_applies(self, as_admin, product, account):
        stranger = AccountFactory(actor=as_admin, name="Otro SA")
        _list(as_admin, product, "10.00", account=stranger)
        _list(as_admin, product, "20.00", segment="vip")
        found = resolve(product, account=account, segment="wholesale")
        assert found.source == "list_price"

    def test_segment_without_account_and_account_without_segment(
        self, all_levels, product, account
    ):
        assert resolve(product, segment="wholesale").source == "segment"
        assert resolve(product, account=account).source == "account"


@pytest.mark.django_db
class TestValidity:
    def test_lists_apply_only_between_their_dates_inclusive(self, as_admin, product):
        _list(as_admin, product, "90.00", valid_from=FEB1, valid_to=MAR1)
        assert resolve(product, on_date=D(2026, 1, 31)).source == "list_price"
        assert resolve(product, on_date=FEB1).amount == Decimal("90.00")
        assert resolve(product, on_date=MAR1).amount == Decimal("90.00")
        assert resolve(product, on_date=D(2026, 3, 2)).source == "list_price"

    def test_an_expired_account_list_gives_way_to_a_valid_segment_list(
        self, as_admin, product, account
    ):
        _list(as_admin, product, "70.00", account=account, valid_to=D(2026, 1, 31))
        _list(as_admin, product, "80.00", segment="wholesale")
        assert resolve(product, account=account, segment="wholesale", on_date=JAN1).amount == (
            Decimal("70.00")
        )
        assert resolve(product, account=account, segment="wholesale", on_date=FEB1).amount == (
            Decimal("80.00")
        )

    def test_overlapping_lists_the_latest_valid_from_wins(self, as_admin, product, account):
        _list(as_admin, product, "90.00", name="2026", valid_from=JAN1)  # open-ended
        _list(as_admin, product, "85.00", name="Spring", valid_from=MAR1, valid_to=JUN30)
        _list(as_admin, product, "88.00", name="Feb", valid_from=FEB1, valid_to=JUN30)
        assert resolve(product, on_date=D(2026, 1, 15)).amount == Decimal("90.00")
        assert resolve(product, on_date=D(2026, 2, 15)).amount == Decimal("88.00")
        assert resolve(product, on_date=D(2026, 4, 15)).amount == Decimal("85.00")
        assert resolve(product, on_date=D(2026, 7, 1)).amount == Decimal("90.00")
        # and the same rule inside the account level
        _list(as_admin, product, "60.00", account=account, valid_from=JAN1)
        _list(as_admin, product, "65.00", account=account, valid_from=FEB1)
        assert resolve(product, account=account, on_date=D(2026, 1, 20)).amount == Decimal("60.00")
        assert resolve(product, account=account, on_date=D(2026, 2, 20)).amount == Decimal("65.00")

    def test_same_valid_from_the_newest_list_wins(self, as_admin, product):
        _list(as_admin, product, "90.00", name="First")
        second = _list(as_admin, product, "91.00", name="Second")
        assert resolve(product).price_list == second

    def test_inactive_lists_are_ignored(self, as_admin, product):
        price_list = _list(as_admin, product, "50.00")
        services.price_list_update(
            actor=as_admin,
            price_list=price_list,
            data={"active": False},
            expected_version=price_list.version,
        )
        assert resolve(product).source == "list_price"

    def test_only_lists_in_the_requested_currency(self, as_admin, product):
        _list(as_admin, product, "95.00", currency="USD")
        ExchangeRateFactory(actor=as_admin, currency="USD", rate="0.80", valid_on=JAN1)
        eur = resolve(product)
        assert (eur.amount, eur.source) == (Decimal("100.00"), "list_price")
        usd = resolve(product, currency="usd")
        assert (usd.amount, usd.currency, usd.source) == (Decimal("95.00"), "USD", "general")

    def test_list_price_is_converted_when_no_list_in_that_currency(self, as_admin, product):
        ExchangeRateFactory(actor=as_admin, currency="USD", rate="0.80",
                            valid_on=JAN1)  # 1 USD = 0.80 EUR
        found = resolve(product, currency="USD")
        assert (found.amount, found.currency, found.source) == (
            Decimal("125.00"),
            "USD",
            "list_price",
        )

    def test_list_price_without_a_rate_raises_the_missing_rate_error(self, product):
        with pytest.raises(ExchangeRateMissingError) as error:
            resolve(product, currency="USD")
        assert "USD" in error.value.message_dict["currency"][0]


@pytest.mark.django_db
class TestConvert:
    @pytest.fixture(autouse=True)
    def rates(self, as_admin):
        ExchangeRateFactory(actor=as_admin, currency="USD", rate="0.90", valid_on=JAN1)
        ExchangeRateFactory(actor=as_admin, currency="USD", rate="0.95", valid_on=MAR1)
        ExchangeRateFactory(actor=as_admin, currency="MXN", rate="0.05", valid_on=JAN1)

    def test_uses_the_latest_rate_on_or_before_the_date(self):
        assert convert(Decimal("100"), "USD", "EUR", JAN1) == Decimal("90.00")
        assert convert(Decimal("100"), "USD", "EUR", D(2026, 2, 28)) == Decimal("90.00")
        assert convert(Decimal("100"), "USD", "EUR", MAR1) == Decimal("95.00")
        assert convert(Decimal("100"), "USD", "EUR", D(2030, 1, 1)) == Decimal("95.00")

    def test_from_the_base_currency_divides(self):
        assert convert(Decimal("100"), "EUR", "USD", JAN1) == Decimal("111.11")
        assert convert(Decimal("100"), "EUR", "USD", MAR1) == Decimal("105.26")

    def test_between_two_foreign_currencies_goes_through_the_base(self):
        # 100 USD = 90 EUR = 1800 MXN
        assert convert(Decimal("100"), "USD", "MXN", FEB1) == Decimal("1800.00")
        assert convert(Decimal("1800"), "MXN", "USD", FEB1) == Decimal("100.00")

    def test_rounds_half_up_to_cents(self):
        assert convert(Decimal("0.005"), "EUR", "EUR", JAN1) == Decimal("0.01")
        assert convert(Decimal("1.005"), "USD", "EUR", JAN1) == Decimal("0.90")  # 0.9045
        assert convert(Decimal("1.05"), "USD", "EUR", JAN1) == Decimal("0.95")  # 0.945

    def test_missing_rate_is_a_clear_error(self):
        with pytest.raises(ExchangeRateMissingError) as error:
            convert(Decimal("100"), "USD", "EUR", D(2025, 12, 31))
        assert error.value.message_dict == {
            "currency": [
                "No exchange rate for USD on or before 2025-12-31; "
                "add one under Catalogue → Exchange rates."
            ]
        }
        assert (error.value.currency, error.value.on_date) == ("USD", D(2025, 12, 31))
        with pytest.raises(ExchangeRateMissingError):
            convert(Decimal("1"), "EUR", "GBP", JAN1)
        assert isinstance(error.value, ValidationError)

    def test_rates_are_per_organisation(self, other_admin):
        with organization_scope(other_admin.organization), pytest.raises(ExchangeRateMissingError):
            convert(Decimal("100"), "USD", "EUR", FEB1)

    def test_needs_an_organisation(self, as_admin):
        org = as_admin.organization
        assert convert(Decimal("10"), "USD", "EUR", FEB1, organization=org) == Decimal("9.00")


@pytest.mark.django_db
def test_convert_outside_a_scope_fails_closed(org):
    with pytest.raises(ScopeError):
        convert(Decimal("10"), "USD", "EUR", FEB1)


@pytest.mark.django_db
class TestRates:
    def test_setting_a_day_again_replaces_its_rate(self, as_admin):
        first = ExchangeRateFactory(actor=as_admin, currency="USD", rate="0.90", valid_on=JAN1)
        again = ExchangeRateFactory(actor=as_admin, currency="usd", rate="0.91", valid_on=JAN1)
        assert again.pk == first.pk
        assert selectors.rate_on("USD", JAN1) == Decimal("0.91")

    @pytest.mark.parametrize(
        ("field", "kwargs"),
        [
            ("rate", {"rate": Decimal("0")}),
            ("rate", {"rate": Decimal("-1")}),
            ("currency", {"currency": "US"}),
            ("currency", {"currency": "EUR"}),
        ],
    )
    def test_bad_rates_name_the_field(self, as_admin, field, kwargs):
        data = {"currency": "USD", "rate": Decimal("0.9"), "valid_on": JAN1, **kwargs}
        with pytest.raises(ValidationError) as error:
            services.exchange_rate_create(actor=as_admin, **data)
        assert field in error.value.message_dict

    def test_price_list_rules(self, as_admin, account):
        with pytest.raises(ValidationError) as error:
            PriceListFactory(actor=as_admin, valid_from=MAR1, valid_to=FEB1)
        assert "valid_to" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            PriceListFactory(actor=as_admin, account=account, segment="wholesale")
        assert "segment" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            PriceListFactory(actor=as_admin, currency="euros")
        assert "currency" in error.value.message_dict

    def test_setting_an_item_again_replaces_its_price(self, as_admin, product):
        price_list = PriceListFactory(actor=as_admin)
        first = PriceListItemFactory(actor=as_admin, price_list=price_list, product=product,
                                     price="9.00")
        again = PriceListItemFactory(actor=as_admin, price_list=price_list, product=product,
                                     price="8.50")
        assert again.pk == first.pk
        assert price_list.items.get().price == Decimal("8.50")
        with pytest.raises(ValidationError) as error:
            PriceListItemFactory(actor=as_admin, price_list=price_list, product=product, price="-1")
        assert "price" in error.value.message_dict
