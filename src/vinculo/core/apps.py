from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Contract,
    Event,
    Menu,
    MenuItem,
    PersonalData,
    VinculoApp,
)
from vinculo.core.roles import Role, only


class CoreConfig(VinculoApp):
    name = "vinculo.core"
    label = "core"
    verbose_name = _("Core")
    contract = Contract(
        url_prefix="",
        api_routes=(
            ApiRoute("audit", "vinculo.core.api.AuditEntryViewSet", "audit"),
            ApiRoute("tokens", "vinculo.core.api.ApiTokenViewSet", "token"),
            ApiRoute("custom-fields", "vinculo.core.api.CustomFieldViewSet", "customfield"),
            ApiRoute("tags", "vinculo.core.api.TagViewSet", "tag"),
            ApiRoute("users", "vinculo.core.people.api.UserViewSet", "user"),
            ApiRoute("teams", "vinculo.core.people.api.TeamViewSet", "team"),
            ApiRoute("search", "vinculo.core.api_search.SearchViewSet", "search"),
            ApiRoute("organization", "vinculo.core.organization.api.OrganizationViewSet",
                     "organization"),
        ),
        permissions={
            "audit.view": only(Role.ADMIN, Role.SALES_MANAGER, Role.ANALYST),
            "core.manage_custom_fields": only(Role.ADMIN),
            "core.manage_users": only(Role.ADMIN),
            "core.manage_organization": only(Role.ADMIN),
        },
        menus=(
            Menu("settings", _("Settings"), order=100),
        ),
        menu_items=(
            MenuItem("settings", _("Organisation"), "organization_settings",
                     permission="core.manage_organization", order=4),
            MenuItem("settings", _("Users"), "user_list", permission="core.manage_users",
                     order=5),
            MenuItem("settings", _("Teams"), "team_list", permission="core.manage_users",
                     order=6),
            MenuItem("settings", _("API tokens"), "tokens", order=10),
            MenuItem("settings", _("Custom fields"), "custom_fields",
                     permission="core.manage_custom_fields", order=30),
            MenuItem("settings", _("API documentation"), "api-docs", order=40),
            MenuItem("settings", _("Audit log"), "audit_log", permission="audit.view",
                     order=50),
        ),
        events=(
            Event("organization.updated", "The organisation's settings were changed.",
                  {"fields": "names of the settings that changed"}),
        ),
        personal_data=(
            PersonalData("emails_sent", _("E-mails sent to you"),
                         "vinculo.core.privacy.export_emails",
                         "vinculo.core.privacy.erase_emails", order=900),
            # last: every other eraser has written by then
            PersonalData("history", _("History of your record"),
                         "vinculo.core.privacy.export_history",
                         "vinculo.core.privacy.erase_history", order=1000,
                         kept=_("The audit log keeps who changed which field and when, "
                                "without the values.")),
        ),
    )

    def ready(self) -> None:
        from django.core import checks

        from vinculo.core import audit, files, roles

        roles.load()
        audit.connect()
        checks.register(files.check_file_storage)
