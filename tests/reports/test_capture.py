"""The data-capture page: every field the organisation's saved reports use, its fill rate and
its trend against an independent count, one query per dataset, where it is captured and which
reports use it; the reader's record rule and organisation apply; the empty state says what to
do next."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account
from vinculo.reports import services
from vinculo.reports.capture import data_capture
from vinculo.sales.models import Order

URL = reverse("reports:data_capture")


@pytest.fixture
def reports(book, users):
    manager = users[Role.SALES_MANAGER]
    with organization_scope(manager.organization):
        shared = services.report_create(actor=manager, data={
            "name": "Ventas por sector", "shared_roles": [Role.SALES_REP], "definition": {
                "dataset": "orders", "group_by": [{"field": "account.industry"}],
                "filters": [{"field": "delivered_on", "op": "empty"}],
                "aggregates": [{"fn": "sum", "field": "total_amount"}]}})
        private = services.report_create(actor=manager, data={
            "name": "Tamaños", "definition": {
                "dataset": "accounts", "group_by": [{"field": "size"}],
                "aggregates": [{"fn": "count"}]}})
        # three accounts created two months ago: the trend splits them from the others
        early = [a.pk for a in book["accounts"][:3]]
        two_months_ago = timezone.now() - dt.timedelta(days=62)
        Account.objects.filter(pk__in=early).update(created_at=two_months_ago)
    return shared, private, early


def rows_of(datasets):
    return {(d.source.key, f.field.key): f for d in datasets for f in d.fields}


@pytest.mark.django_db
def test_fill_rates_and_trend_match_an_independent_count_in_one_query_per_dataset(
        reports, users):
    _shared, _private, early = reports
    manager = users[Role.SALES_MANAGER]
    with organization_scope(manager.organization):
        with CaptureQueriesContext(connection) as queries:
            found = rows_of(data_capture(manager))
        # the reports, those the reader may open, then one query per dataset (accounts, orders)
        assert len(queries) == 4, [q["sql"][:120] for q in queries]
        accounts, orders = Account.objects.all(), Order.objects.all()
        assert set(found) == {("accounts", "industry"), ("accounts", "size"),
                              ("orders", "delivered_on"), ("orders", "total_amount")}
        industry = found[("accounts", "industry")]
        assert (industry.filled, industry.total) == (
            accounts.exclude(industry="").count(), accounts.count())
        assert 0 < industry.filled < industry.total
        size = found[("accounts", "size")]
        assert size.filled == accounts.exclude(size="").count()
        delivered = found[("orders", "delivered_on")]
        assert (delivered.filled, delivered.total) == (
            orders.filter(delivered_on__isnull=False).count(), orders.count())
        # the trend: the last months, the early accounts two months back, the rest this month
        months = [m for m, _f, _t in industry.trend]
        assert len(months) == 6 and months[-1] == timezone.localdate().replace(day=1)
        by_month = {m: (f, t) for m, f, t in industry.trend}
        early_accounts = accounts.filter(pk__in=early)
        assert by_month[months[-3]] == (early_accounts.exclude(industry="").count(), 3)
        rest = accounts.exclude(pk__in=early)
        assert by_month[months[-1]] == (rest.exclude(industry="").count(), rest.count())
        assert by_month[months[0]] == (0, 0)
    assert [r.name for r in industry.reports] == ["Ventas por sector"]
    assert [p.label for p in industry.places] == ["Account form", "Import of accounts"]
    assert [p.kind for p in delivered.places] == ["touch"]


@pytest.mark.django_db
def test_the_page_follows_the_record_rule_and_the_organisation(reports, users, client,
                                                               other_admin):
    rep = users[Role.SALES_REP]
    rep.language = "en"
    rep.save(update_fields=["language"])
    with organization_scope(rep.organization):
        found = rows_of(data_capture(rep))
        team = Account.objects.filter(team=rep.team)
        industry = found[("accounts", "industry")]
        assert (industry.filled, industry.total) == (team.exclude(industry="").count(),
                                                     team.count())
        assert industry.total < Account.objects.count()
        size = found[("accounts", "size")]
        assert size.reports == [] and size.others == 1  # the manager's private report
    client.force_login(rep)
    page = client.get(URL).content.decode()
    assert "Data to capture" in page and "Ventas por sector" in page
    assert "Tamaños" not in page and "1 report of a colleague" in page
    assert reverse("customers:account_create") in page
    assert "Data to capture" in client.get(reverse("reports:report_list")).content.decode()
    # another organisation: none of these reports, the empty state says what to do next
    client.force_login(other_admin)
    other = client.get(URL).content.decode()
    assert "Ventas por sector" not in other
    assert "Draw the report you want first" in other
    assert reverse("reports:report_create") in other
