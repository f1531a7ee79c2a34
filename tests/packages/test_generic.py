"""The generic API and page suites for service packages and the changes of package."""

from __future__ import annotations

import itertools

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.generic import Api, ApiSuite, Call, Deletion, DeletionSuite, Page, PageSuite
from tests.packages.factories import make_package
from vinculo.packages import services
from vinculo.packages.models import ChangeStatus, PackageChange

_n = itertools.count(1)
MANAGE = {"create": "packages.manage", "update": "packages.manage", "delete": "packages.manage"}


def package(admin, owner):
    return make_package(admin, name=f"Paquete {next(_n)}", rank=next(_n) % 100)


def assign_payload(admin, user, record):
    account = AccountFactory(actor=admin, owner=user, team=user.team)
    return {"account": str(account.uuid), "package": str(record.uuid), "reason": "Alta"}


def change(admin, owner):
    """A pending downgrade of a customer ``owner`` owns."""
    target = make_package(admin, name=f"Paquete {next(_n)}", rank=90,
                          downgrade_needs_approval=True)
    account = AccountFactory(actor=admin, owner=owner, team=owner.team)
    with as_user(admin):
        services.package_assign(actor=admin, account=account, package=target, reason="Alta")
    return PackageChange.all_objects.create(
        organization=admin.organization, account=account, from_package=target, to_package=None,
        on=target.created_at.date(), decided_by="rule", status=ChangeStatus.PENDING)


class TestPackageApi(ApiSuite):
    api = Api("package", "packages", package,
              create=lambda admin, user: {"name": f"Nuevo {next(_n)}", "rank": 5,
                                          "service_tier": "gold",
                                          "services": [{"name": "Visita",
                                                        "monthly_cost": "10.00"}]},
              update=lambda record: {"name": f"{record.name} (revisado)"},
              delete=True, permissions=MANAGE,
              calls=(Call("measures", "analytics.view", method="get", detail=False),
                     Call("migrations", "analytics.view", method="get", detail=False),
                     Call("assign", "packages.assign", detail=False, payload=assign_payload,
                          ok=201)))


class TestPackageChangeApi(ApiSuite):
    api = Api("package-change", "packages", change, versioned=False,
              calls=(Call("approve", "packages.approve", build=change),
                     Call("reject", "packages.approve", build=change)))


class TestPackagePages(PageSuite):
    page = Page("package", "packages", package, list="packages:package_list",
                create="packages:package_create", edit="packages:package_update",
                permissions={"create": "packages.manage", "edit": "packages.manage"},
                marker=lambda record: record.name)


def package_with_customers(admin):
    record = make_package(admin, name=f"Paquete {next(_n)}")
    with as_user(admin):
        for _ in range(2):
            services.package_assign(actor=admin, account=AccountFactory(actor=admin),
                                    package=record, reason="Alta")
    return record, ["2 customers in the package", "2 changes of package"]


class TestPackageDeletions(DeletionSuite):
    deletions = [Deletion("package", package_with_customers,
                          phrases_es=("2 clientes en el paquete", "2 cambios de paquete"),
                          api="package", page="packages:package_delete")]
