from django.contrib import admin

from vinculo.portal.models import PortalUser


@admin.register(PortalUser)
class PortalUserAdmin(admin.ModelAdmin):
    list_display = ("email", "account", "role", "is_active", "last_login_at")
    list_filter = ("role", "is_active")
    search_fields = ("email",)
    exclude = ("password",)
    readonly_fields = ("account", "contact", "email", "last_login_at")
