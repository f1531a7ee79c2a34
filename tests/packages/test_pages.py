"""The packages pages: the list with measures, the Settings form (bad input shown on the
field), the account panel with the history, assignment by hand and approving a change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.customers.factories import AccountFactory
from tests.packages.factories import make_package
from vinculo.packages.models import AccountPackage, ServicePackage

pytestmark = pytest.mark.django_db


def test_empty_list_says_what_to_do(page, admin):
    admin.language = "es"
    admin.save(update_fields=["language"])
    response = page.get(reverse("packages:package_list"))
    assert response.status_code == 200
    assert "Aún no hay paquetes" in response.content.decode()


def test_create_from_the_form_and_refuse_bad_input(page, admin):
    url = reverse("packages:package_create")
    assert page.get(url).status_code == 200
    base = {"name": "Premium", "rank": "30", "service_tier": "platinum", "active": "on",
            "partial_deliveries": "on", "profit_segments": ["High"],
            "value_tiers": ["Platinum"], "channels": ["visit"],
            "services_text": "Visita trimestral; 40\nLínea directa; 15,50"}
    bad = page.post(url, {**base, "services_text": "Visita; -4"})
    assert bad.status_code == 400
    assert not ServicePackage.all_objects.exists()
    response = page.post(url, base)
    assert response.status_code == 302, response.content.decode()[:2000]
    package = ServicePackage.all_objects.get()
    assert package.rule == {"match": "all", "conditions": [
        {"field": "analytics.profit_segment", "op": "in", "value": ["High"]},
        {"field": "analytics.value_tier", "op": "in", "value": ["Platinum"]}]}
    assert package.channels == ["visit"]
    edit = page.get(reverse("packages:package_update", args=[package.uuid])).content.decode()
    assert "Visita trimestral; 40.00" in edit
    listing = page.get(reverse("packages:package_list")).content.decode()
    assert "Premium" in listing


def test_account_panel_assign_and_history(page, admin):
    package = make_package(admin, name="Premium", rank=30)
    account = AccountFactory(actor=admin)
    panel_url = reverse("packages:account_panel") + f"?record=customers.account:{account.uuid}"
    assert "No service package" in page.get(panel_url).content.decode()
    assign = reverse("packages:assign", args=[account.uuid])
    assert page.post(assign, {"package": str(package.uuid), "reason": ""}).status_code == 400
    assert page.post(assign, {"package": str(package.uuid),
                              "reason": "Cliente estratégico"}).status_code == 302
    assert AccountPackage.all_objects.get(account=account).package == package
    panel = page.get(panel_url).content.decode()
    assert "Premium" in panel and "Cliente estratégico" in panel
    changes = page.get(reverse("packages:change_list")).content.decode()
    assert account.name in changes


def test_a_customer_set_by_hand_goes_back_to_the_rules(page, admin):
    package = make_package(admin, name="Premium", rank=30)
    account = AccountFactory(actor=admin)
    assign = reverse("packages:assign", args=[account.uuid])
    page.post(assign, {"package": str(package.uuid), "reason": "Estratégico"})
    assert AccountPackage.all_objects.get(account=account).pinned
    panel = page.get(reverse("packages:account_panel")
                     + f"?record=customers.account:{account.uuid}").content.decode()
    assert reverse("packages:release", args=[account.uuid]) in panel
    assert page.post(reverse("packages:release", args=[account.uuid])).status_code == 302
    assert not AccountPackage.all_objects.get(account=account).pinned


def test_the_changes_list_pages_instead_of_stopping_silently(page, admin):
    package = make_package(admin, name="Premium", rank=30)
    accounts = [AccountFactory(actor=admin) for _ in range(3)]
    for account in accounts:
        page.post(reverse("packages:assign", args=[account.uuid]),
                  {"package": str(package.uuid), "reason": "Estratégico"})
    url = reverse("packages:change_list")
    first = page.get(url + "?size=2").content.decode()
    second = page.get(url + "?size=2&page=2").content.decode()
    # newest first: two on the first page with a link on, the oldest on the second
    assert sum(a.name in first for a in accounts) == 2 and "page=2" in first
    assert accounts[0].name in second and accounts[0].name not in first
    assert "page=1" in second
