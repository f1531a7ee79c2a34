from __future__ import annotations

from django.http import HttpRequest

from vinculo.core.roles import role_has


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    return {
        "can": {
            "add_customers": role_has(role, "customers.add"),
            "import_customers": role_has(role, "customers.import"),
            "export_customers": role_has(role, "customers.export"),
            "merge_customers": role_has(role, "customers.merge"),
            "view_audit": role_has(role, "audit.view"),
            "manage_custom_fields": role_has(role, "core.manage_custom_fields"),
            "view_analytics": role_has(role, "analytics.view"),
            "add_interactions": role_has(role, "interactions.add"),
            "manage_interactions": role_has(role, "interactions.manage"),
            "add_tickets": role_has(role, "service.add"),
            "change_tickets": role_has(role, "service.change"),
            "manage_service": role_has(role, "service.manage"),
            "view_service_metrics": role_has(role, "service.metrics"),
            "change_articles": role_has(role, "kb.change"),
        }
    }
