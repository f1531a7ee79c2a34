"""The Django admin of service packages, for back-office staff (every organisation)."""

from django.contrib import admin

from vinculo.catalog.admin import TenantAdmin
from vinculo.packages.models import AccountPackage, PackageChange, ServicePackage


@admin.register(ServicePackage)
class ServicePackageAdmin(TenantAdmin):
    list_display = ("name", "rank", "service_tier", "active", "organization")


@admin.register(AccountPackage)
class AccountPackageAdmin(TenantAdmin):
    list_display = ("account", "package", "since", "pinned")


@admin.register(PackageChange)
class PackageChangeAdmin(TenantAdmin):
    list_display = ("account", "from_package", "to_package", "on", "decided_by", "status")
