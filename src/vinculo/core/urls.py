from django.contrib.auth import views as auth_views
from django.urls import path

from vinculo.core import views
from vinculo.core.organization import views as organization_views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("audit/", views.AuditLogView.as_view(), name="audit_log"),
    path("settings/tokens/", views.TokenListView.as_view(), name="tokens"),
    path(
        "settings/tokens/<uuid:uuid>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"
    ),
    path("settings/organization/", organization_views.OrganizationSettingsView.as_view(),
         name="organization_settings"),
    path("settings/organization/logo/", organization_views.OrganizationLogoView.as_view(),
         name="organization_logo"),
    path("settings/custom-fields/", views.CustomFieldListView.as_view(), name="custom_fields"),
    path("settings/saved-views/", views.SavedViewCreateView.as_view(), name="saved_view_create"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
