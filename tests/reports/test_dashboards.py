"""The roles' management dashboards: made once with their defaults, arranged by the
administrator only, and each reader sees only the cards they may read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.core.factories import as_user
from tests.reports.factories import report
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.reports import services_objectives
from vinculo.reports.dashboards import cards, dashboard_for
from vinculo.reports.models import Widget


def _objective(admin, indicator, target="10"):
    today = dt.date.today()
    with as_user(admin):
        return services_objectives.objective_create(actor=admin, data={
            "indicator": indicator, "start": today.replace(day=1),
            "end": today + dt.timedelta(days=40), "target": Decimal(target)})


def test_a_role_dashboard_is_made_once_with_its_defaults(users):
    admin = users[Role.ADMIN]
    revenue = _objective(admin, "revenue", "5000")
    _objective(admin, "csat", "4")  # a service indicator: not on the sales dashboard
    shared = report(admin, "Ventas por sector", shared_roles=[Role.SALES_MANAGER])
    report(admin, "Privado")
    with organization_scope(admin.organization):
        dashboard = dashboard_for(admin.organization, Role.SALES_MANAGER)
        assert [(w.objective_id, w.report_id) for w in dashboard.widgets.all()] == [
            (revenue.pk, None), (None, shared.pk)]
        assert dashboard_for(admin.organization, Role.SALES_MANAGER) == dashboard
        assert Widget.objects.count() == 2


def test_readers_see_only_the_cards_they_may_read(users, client):
    admin, rep = users[Role.ADMIN], users[Role.SALES_REP]
    revenue = _objective(admin, "revenue", "5000")  # organisation-wide money: analytics.view
    complaints = _objective(admin, "complaints", "3")
    private = report(admin, "Informe privado del administrador")
    shared = report(admin, "Cuentas compartidas", shared_roles=[Role.SALES_REP])
    with organization_scope(admin.organization):
        dashboard = dashboard_for(admin.organization, Role.SALES_REP)
        Widget.objects.filter(dashboard=dashboard).delete()
    with as_user(admin):
        for data in ({"report": private}, {"report": shared}, {"objective": revenue},
                     {"objective": complaints}):
            services_objectives.widget_add(actor=admin, dashboard=dashboard, **data)
    with organization_scope(admin.organization):
        shown = [c.get("report") or c["progress"].objective for c in cards(dashboard, rep)]
        assert shown == [shared, complaints]
        assert len(cards(dashboard, admin)) == 4  # the administrator reads them all
    client.force_login(rep)
    page = client.get("/reports/dashboard/").content.decode()
    assert "Cuentas compartidas" in page and str(complaints.uuid) in page
    assert "Informe privado" not in page and str(revenue.uuid) not in page


def test_only_the_administrator_arranges(users, client):
    admin, manager = users[Role.ADMIN], users[Role.SALES_MANAGER]
    first = report(admin, "Primero")
    second = _objective(admin, "complaints")
    client.force_login(admin)
    for item in (f"report:{first.uuid}", f"objective:{second.uuid}"):
        response = client.post("/reports/dashboard/arrange/",
                               {"role": Role.SERVICE_AGENT, "item": item})
        assert response.status_code == 302
    with organization_scope(admin.organization):
        widgets = list(dashboard_for(admin.organization, Role.SERVICE_AGENT).widgets.all())
    assert [(w.report_id, w.objective_id) for w in widgets[-2:]] == [(first.pk, None),
                                                                     (None, second.pk)]
    moved = widgets[-1]
    client.post(f"/reports/dashboard/widgets/{moved.uuid}/", {"step": "up"})
    with organization_scope(admin.organization):
        order = list(Widget.objects.filter(dashboard=moved.dashboard_id)
                     .values_list("pk", flat=True))
    assert order[-2:] == [moved.pk, widgets[-2].pk]
    client.force_login(manager)
    assert client.post(f"/reports/dashboard/widgets/{moved.uuid}/",
                       {"remove": "1"}).status_code == 403
    assert client.get("/reports/dashboard/arrange/").status_code == 403
    client.force_login(admin)
    client.post(f"/reports/dashboard/widgets/{moved.uuid}/", {"remove": "1"})
    with organization_scope(admin.organization):
        assert not Widget.objects.filter(pk=moved.pk).exists()
