"""The plug-in contract: URLs, API routes, menus, roles, search, home panels and domain events
are built from what each app declares, and nothing else."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import reverse

from tests.billing.factories import InvoiceFactory, PaymentFactory
from tests.customers.factories import AccountFactory
from tests.sales.factories import DeliveryFactory, OrderFactory
from vinculo.core import events, plugins
from vinculo.core.context_processors import _menu
from vinculo.core.plugins import Event, HomePanel, MenuItem, SearchProvider, Subscriber
from vinculo.core.roles import PERMISSIONS, Role, role_has

CALLS: list[tuple[str, str]] = []


def remember(occurrence: events.Occurrence) -> None:
    CALLS.append(("after", occurrence.name))


def remember_now(occurrence: events.Occurrence) -> None:
    CALLS.append(("now", occurrence.name))


def explode(occurrence: events.Occurrence) -> None:
    raise RuntimeError("subscriber broke")


def probe_panel(user) -> dict:
    return {"title": "Probe panel", "records": [], "detail_url": "home"}


def probe_search(user, query: str, limit: int) -> list:
    return []


@pytest.fixture
def extend(monkeypatch):
    """Add to an installed app's contract for one test (and forget the cached tables)."""
    def add(label: str, **parts):
        config = apps.get_app_config(label)
        merged = {name: getattr(config.contract, name) + value for name, value in parts.items()}
        monkeypatch.setattr(config, "contract", dataclasses.replace(config.contract, **merged))
        events.declared.cache_clear()
        events._subscribers.cache_clear()

    CALLS.clear()
    yield add
    events.declared.cache_clear()
    events._subscribers.cache_clear()


def test_every_installed_vinculo_app_is_assembled_from_its_contract():
    labels = [config.label for config in plugins.installed()]
    assert labels == ["core", "customers", "catalog", "sales", "billing", "contracts",
                      "interactions",
                      "service", "analytics", "segments", "marketing", "packages", "loyalty",
                      "attachments", "integrations",
                      "automation", "reports", "portal"]
    # pages at the declared prefix, API routes on the one router, public pages at the root
    assert reverse("customers:account_list") == "/customers/accounts/"
    assert reverse("billing:invoice_list").startswith("/billing/")
    assert reverse("invoice-list") == "/api/invoices/"
    snapshots = reverse("analytics-account-detail", args=["0" * 36])
    assert snapshots.startswith("/api/analytics/accounts/")
    assert reverse("survey", args=["x"]) == "/survey/x/"
    routes = {route.prefix for route in plugins.collect("api_routes")}
    assert {"accounts", "quotes", "tickets", "mailboxes", "analytics"} <= routes


def test_the_role_table_is_the_union_of_the_apps_permissions():
    declared = {name for _c, contract in plugins.contracts() for name in contract.permissions}
    assert set(PERMISSIONS) == declared
    assert role_has(Role.SERVICE_AGENT, "kb.add")  # declared by the service desk
    assert not role_has(Role.MARKETING, "billing.view")  # declared by billing
    assert not role_has(Role.ADMIN, "nobody.declared.this")


def test_a_permission_declared_twice_is_refused(monkeypatch):
    config = apps.get_app_config("catalog")
    monkeypatch.setattr(config, "contract", dataclasses.replace(
        config.contract, permissions={**config.contract.permissions,
                                      "customers.view": frozenset()}))
    with pytest.raises(ValueError, match=r"customers\.view"):
        plugins.permissions()


def test_the_menu_shows_each_role_what_it_may_open():
    def labels(role):
        return {entry.label: [link.label for link in entry.links] or entry.url
                for entry in _menu(role)}

    admin, marketing = labels(Role.ADMIN), labels(Role.MARKETING)
    assert "Billing" in admin and "Billing" not in marketing  # billing.view
    assert "Returns" in admin["Sales"] and "Returns" not in marketing["Sales"]  # billing's item
    assert "Mailboxes" in admin["Settings"] and "Mailboxes" not in marketing["Settings"]
    assert "Audit log" in admin["Settings"] and "Audit log" not in marketing["Settings"]
    # analytics' pages and the reports share one dropdown; a role without analytics still
    # finds its reports there
    assert admin["Analytics"] == ["Customer analytics", "Demand forecast", "Model validation",
                                  "Supplier plan", "Dashboard", "Reports", "Objectives"]
    assert marketing["Analytics"] == ["Dashboard", "Reports", "Objectives"]
    settings_links = next(e for e in _menu(Role.ADMIN) if e.label == "Settings").links
    mailboxes = next(link for link in settings_links if link.label == "Mailboxes")
    assert (mailboxes.divider, mailboxes.header) == (True, "E-mail and forms")


def test_a_menu_item_for_an_undeclared_menu_is_refused(monkeypatch):
    config = apps.get_app_config("catalog")
    monkeypatch.setattr(config, "contract", dataclasses.replace(
        config.contract, menu_items=(MenuItem("nowhere", "Lost", "home"),)))
    with pytest.raises(ValueError, match="nowhere"):
        plugins.menus()


def test_home_panels_and_search_groups_come_from_the_contracts(client, users, extend):
    extend("catalog",
           home_panels=(HomePanel("probe", "customers/home/records.html",
                                  "tests.core.test_plugins.probe_panel", "catalog.add"),),
           search=(SearchProvider("probe", "Probe results", "tests.core.test_plugins.probe_search",
                                  "customers/search/account.html", "catalog.add"),))
    AccountFactory(actor=users[Role.ADMIN], name="Zafiro Azul SL")
    client.force_login(users[Role.ADMIN])
    home = client.get("/").content.decode()
    found = client.get("/search/", {"q": "zafiro"}).content.decode()
    assert "Probe panel" in home and "New accounts" in home
    assert "Probe results" in found and "Zafiro Azul SL" in found
    client.force_login(users[Role.MARKETING])  # no catalog.add
    assert "Probe panel" not in client.get("/").content.decode()
    assert "Probe results" not in client.get("/search/", {"q": "zafiro"}).content.decode()


# ---- domain events -----------------------------------------------------------------------------


def test_publishing_an_undeclared_event_is_a_programming_error(admin):
    with pytest.raises(ValueError, match="not declared"):
        events.publish("account.exploded", record=admin)


def test_subscribing_to_an_undeclared_event_is_refused(extend):
    extend("catalog", subscribers=(Subscriber("nothing.happened", "x.y"),))
    with pytest.raises(ValueError, match=r"nothing\.happened"):
        events.publish("account.created", record=None)


@pytest.mark.django_db(transaction=True)
def test_after_commit_subscribers_wait_for_the_commit_and_miss_a_rollback(users, extend):
    extend("catalog", events=(Event("probe.happened", "test"),), subscribers=(
        Subscriber("probe.happened", "tests.core.test_plugins.remember"),
        Subscriber("probe.happened", "tests.core.test_plugins.remember_now",
                   in_transaction=True)))
    admin = users[Role.ADMIN]
    with transaction.atomic():
        events.publish("probe.happened", record=admin)
        assert CALLS == [("now", "probe.happened")]
    assert CALLS == [("now", "probe.happened"), ("after", "probe.happened")]
    CALLS.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("probe.happened", record=admin)
        raise RuntimeError("rolled back")
    assert CALLS == [("now", "probe.happened")]  # the after-commit one never ran


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_is_logged_and_does_not_stop_the_others(users, extend, caplog):
    extend("catalog", events=(Event("probe.happened", "test"),), subscribers=(
        Subscriber("probe.happened", "tests.core.test_plugins.explode"),
        Subscriber("probe.happened", "tests.core.test_plugins.remember")))
    with caplog.at_level(logging.ERROR, logger="vinculo.core.events"), transaction.atomic():
        occurrence = events.publish("probe.happened", record=users[Role.ADMIN])
    assert CALLS == [("after", "probe.happened")]
    assert "tests.core.test_plugins.explode" in caplog.text and str(occurrence.id) in caplog.text


@pytest.mark.django_db(transaction=True)
def test_an_in_transaction_subscriber_that_fails_rolls_the_change_back(users, extend):
    extend("customers", subscribers=(
        Subscriber("account.created", "tests.core.test_plugins.explode", in_transaction=True),))
    from vinculo.customers.models import Account

    with pytest.raises(RuntimeError, match="subscriber broke"):
        AccountFactory(actor=users[Role.ADMIN], name="Never Saved SL")
    assert not Account.all_objects.filter(name="Never Saved SL").exists()


def test_services_publish_what_happened_with_the_record_and_the_actor(users):
    admin = users[Role.ADMIN]
    with events.recording() as seen:
        account = AccountFactory(actor=admin, name="Eventos SA")
    (created,) = seen
    assert (created.name, created.record, created.actor_id) == ("account.created", account,
                                                                admin.pk)
    assert created.as_payload()["record"] == {"type": "customers.account",
                                              "uuid": str(account.uuid)}
    order = OrderFactory(actor=admin, account=account, ordered_on=dt.date(2026, 2, 20),
                         promised=dt.date(2026, 3, 1))
    with events.recording() as seen:
        DeliveryFactory(actor=admin, order=order, delivered_on=dt.date(2026, 3, 4))
    assert [o.name for o in seen] == ["order.shipped", "order.delivered",
                                      "order.delivered_late"]
    assert seen[0].data["days_late"] == seen[2].data["days_late"] == 3
    assert seen[0].data["short"] is False
    invoice = InvoiceFactory(actor=admin, account=account, issued=True)
    with events.recording() as seen:
        PaymentFactory(actor=admin, invoice=invoice, amount=invoice.total_amount)
    assert [o.name for o in seen] == ["payment.recorded", "invoice.paid"]
    assert seen[1].data["number"] == invoice.number
