"""Numbers in the user's locale everywhere (issue 17): one formatter (``core.formats``) behind
the pages, the PDFs and the timeline, so Spanish reads ``3.844,36 €`` and English ``€3,844.36``;
time in a stage reads in days and hours, never in seconds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from reportlab import rl_config

from tests.catalog.factories import ProductFactory
from tests.customers.factories import AccountFactory
from tests.sales.factories import OpportunityFactory, QuoteFactory, free_line
from vinculo.core.formats import format_duration, format_money, format_number, format_phone
from vinculo.sales.models import Opportunity

SPANISH, ENGLISH = "3.844,36\u00a0€", "€3,844.36"
WRONG = ("3,844,36", "3844,36", "3844.36", "3,844.36 EUR", "3.844,36 EUR")


def test_unit_prices_keep_up_to_four_decimals_and_phones_read_grouped():
    with translation.override("es"):
        assert format_money(Decimal("0.0125"), "EUR", decimals=4) == "0,0125\u00a0€"
        assert format_money(Decimal("0.0200"), "EUR", decimals=4) == "0,02\u00a0€"
        assert format_money(Decimal("1234.5"), "EUR", decimals=4) == "1.234,50\u00a0€"
    with translation.override("en"):
        assert format_money(Decimal("0.0125"), "EUR", decimals=4) == "€0.0125"
    assert format_phone("+34986024697") == "+34 986 02 46 97"
    assert format_phone("+442080233838") == "+44 20 8023 3838"
    assert format_phone("986 02 46 97") == "986 02 46 97"  # not E.164: as written
    assert format_phone("+34 nada") == "+34 nada" and format_phone(None) == ""


def test_the_formatter_follows_the_active_language():
    with translation.override("es"):
        assert format_money(Decimal("3844.36"), "EUR") == SPANISH
        assert format_money(Decimal("-1234567.5"), "USD") == "-1.234.567,50\u00a0US$"
        assert format_number(12345) == "12.345"
        assert format_number(Decimal("2.500"), "-3") == "2,5"
        assert format_duration(626266) == "7 días 5 horas"
        assert format_duration(3 * 3600 + 25 * 60) == "3 horas 25 minutos"
    with translation.override("en"):
        assert format_money(Decimal("3844.36"), "EUR") == ENGLISH
        assert format_money(Decimal("-5"), "EUR") == "-€5.00"
        assert format_money(Decimal("10"), "XYZ") == "10.00\u00a0XYZ"
        assert format_number(12345) == "12,345"
        assert format_duration(626266) == "7 days 5 hours"
        assert format_duration(60) == "1 minute"
        assert format_duration(20) == "less than a minute"
    assert format_number(None) == format_money(None, "EUR") == format_duration(None) == ""


@pytest.fixture
def quote(as_admin):
    account = AccountFactory(actor=as_admin, name="Aceites Sol")
    return QuoteFactory(actor=as_admin, account=account, currency="EUR",
                        lines=[free_line("Aceite", "1", "3844.36", tax_rate="0")])


def _get(client, lang: str, url: str):
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "expected"), [("es", SPANISH), ("en", ENGLISH)])
def test_pages_show_money_in_the_users_locale(page, as_admin, quote, lang, expected):
    product = ProductFactory(actor=as_admin, list_price="3844.36", currency="EUR")
    pages = {
        "product": reverse("catalog:product_detail", kwargs={"uuid": product.uuid}),
        "product list": reverse("catalog:product_list"),
        "quote": reverse("sales:quote_detail", kwargs={"uuid": quote.uuid}),
        "quote list": reverse("sales:quote_list"),
        "account 360° (documents, timeline)": reverse("customers:account_detail",
                                                      kwargs={"uuid": quote.account.uuid}),
    }
    for name, url in pages.items():
        html = _get(page, lang, url).replace("&nbsp;", "\u00a0")
        assert expected in html, name
        for wrong in WRONG:
            assert wrong not in html, (name, wrong)


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "expected"), [("es", "3.844,36 \\200"),
                                                ("en", "\\2003,844.36")])
def test_the_quote_pdf_shows_money_in_the_users_locale(page, quote, lang, expected, monkeypatch):
    monkeypatch.setattr(rl_config, "pageCompression", 0)  # to read the text in the PDF
    page.cookies["django_language"] = lang
    response = page.get(reverse("sales:quote_pdf", kwargs={"uuid": quote.uuid}))
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"%PDF")
    # WinAnsi encoding writes € as octal 200 and the no-break space as octal 240.
    text = content.decode("latin-1").replace("\\240", " ")
    assert f"({expected})" in text
    assert "EUR" not in text


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "expected"), [("es", "7 días 5 horas"),
                                                ("en", "7 days 5 hours")])
def test_time_in_a_stage_is_days_and_hours(page, as_admin, lang, expected):
    opportunity = OpportunityFactory(actor=as_admin)
    Opportunity.objects.filter(pk=opportunity.pk).update(
        stage_entered_at=timezone.now() - dt.timedelta(seconds=626266))
    html = _get(page, lang, reverse("sales:opportunity_detail", kwargs={"uuid": opportunity.uuid}))
    assert expected in html
    assert "626266" not in html and "626.266" not in html


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_pdf_lines_headings_fit_their_columns(language):
    """A quote's PDF in Spanish printed "Precio unitarioDescuento (%)Impuesto (%)Base
    imponible" over each other: each heading now wraps, and no word is wider than its column
    (less ReportLab's 6 pt padding either side)."""
    from reportlab.lib.styles import getSampleStyleSheet

    from vinculo.core.pdf import LINE_COLUMNS, line_headings

    with translation.override(language):
        headings = line_headings(getSampleStyleSheet())
    assert len(headings) == len(LINE_COLUMNS)
    for heading, width in zip(headings, LINE_COLUMNS, strict=True):
        assert heading.minWidth() <= width - 12, heading.text
