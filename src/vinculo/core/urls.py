from django.contrib.auth import views as auth_views
from django.urls import path

from vinculo.core import views
from vinculo.core.organization import views as organization_views
from vinculo.core.people import views as people
from vinculo.core.people.forms import QueuedPasswordResetForm

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
    path("settings/users/", people.UserListView.as_view(), name="user_list"),
    path("settings/users/invite/", people.UserInviteView.as_view(), name="user_invite"),
    path("settings/users/<uuid:uuid>/", people.UserEditView.as_view(), name="user_update"),
    *[path(f"settings/users/<uuid:uuid>/{action}/", people.UserActionView.as_view(action=action),
           name=f"user_{action}") for action in people.ACTIONS],
    path("settings/teams/", people.TeamListView.as_view(), name="team_list"),
    path("settings/teams/new/", people.TeamEditView.as_view(), name="team_create"),
    path("settings/teams/<uuid:uuid>/", people.TeamEditView.as_view(), name="team_update"),
    path("invitation/<str:token>/", people.InvitationAcceptView.as_view(),
         name="invitation_accept"),
    path("settings/saved-views/", views.SavedViewCreateView.as_view(), name="saved_view_create"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/",
         auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
         name="password_reset"),
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
