"""REST API of the organisation's people: users and teams.

Everyone may read them (to pick an owner or a team); administrators (``core.manage_users``)
invite, change, deactivate and reactivate users, resend invitations, force password resets and
edit teams — through ``people.services``, like the pages. Users are never deleted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vinculo.core.api_base import (
    ScopedRelatedField,
    ServiceSerializer,
    TenantScopedMixin,
    TenantViewSet,
)
from vinculo.core.models import Team, User
from vinculo.core.people import selectors, services
from vinculo.core.roles import Role

MANAGE = "core.manage_users"


class UserSerializer(ServiceSerializer):
    """A user. ``POST`` invites one (an e-mail with a one-time link; ``status`` ``invited``
    until they accept); ``email`` cannot change afterwards."""

    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    team = ScopedRelatedField(Team, slug_field="name", required=False, allow_null=True,
                              help_text="The team's name.")
    status = serializers.SerializerMethodField(
        help_text="active, invited (has not accepted the invitation yet) or deactivated.")

    class Meta:
        model = User
        fields = ("id", "version", "email", "first_name", "last_name", "role", "team",
                  "language", "is_active", "status", "last_login")
        read_only_fields = ("is_active", "last_login")
        extra_kwargs = {"email": {"validators": []}}  # a taken e-mail: the service says so

    create_service = staticmethod(services.user_invite)
    update_service = staticmethod(services.user_update)
    instance_kwarg = "user"

    def get_status(self, user: User) -> str:
        return selectors.user_status(user)

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        if validated_data.get("email", "").lower() == instance.email:
            validated_data.pop("email")  # a PUT repeats it; only a change is refused
        # Re-read with ``invited`` so the answer's status is right.
        user = super().update(instance, validated_data)
        return selectors.users_of(user.organization_id).get(pk=user.pk)

    def create(self, validated_data: dict[str, Any]) -> Any:
        user = super().create(validated_data)
        return selectors.users_of(user.organization_id).get(pk=user.pk)


def _user_action(name: str, service: Any, summary: str) -> Any:
    @extend_schema(request=None, responses={200: OpenApiResponse(UserSerializer)},
                   summary=summary)
    def act(self: UserViewSet, request: Request, uuid: str | None = None) -> Response:
        user = self.get_object()
        service(actor=request.user, user=user)
        fresh = selectors.users_of(user.organization_id).get(pk=user.pk)
        return Response(UserSerializer(fresh, context=self.get_serializer_context()).data)

    act.__doc__ = summary
    act.__name__ = name
    return act


class UserViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The organisation's users. Reading them is for everyone who sees customers (to pick
    owners); inviting and changing them is for administrators."""

    queryset = User.objects.none()
    serializer_class = UserSerializer
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    permission_domain = "customers"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    action_permissions = {name: MANAGE for name in (
        "create", "update", "partial_update", "deactivate", "reactivate",
        "resend_invitation", "reset_password")}

    def scoped_queryset(self) -> QuerySet:
        return selectors.users_of(self.request.user.organization_id).order_by("email")

    deactivate = action(detail=True, methods=["post"])(_user_action(
        "deactivate", services.user_deactivate,
        "Deactivate: no more logging in or API tokens; history keeps its author."))
    reactivate = action(detail=True, methods=["post"])(_user_action(
        "reactivate", services.user_reactivate, "Let a deactivated user log in again."))
    resend_invitation = action(detail=True, methods=["post"], url_path="resend-invitation")(
        _user_action("resend_invitation", services.user_invitation_resend,
                     "A new one-time invitation link; older links stop working."))
    reset_password = action(detail=True, methods=["post"], url_path="reset-password")(
        _user_action("reset_password", services.user_password_reset,
                     "Force a new password: the current one stops working and a reset link "
                     "is e-mailed."))


class MembersField(serializers.ListField):
    """A team's active members, by user id; on write, the whole list."""

    def get_attribute(self, team: Team) -> list[User]:
        return list(team.active_members if hasattr(team, "active_members")
                    else team.members.filter(is_active=True))


class TeamSerializer(ServiceSerializer):
    lead = ScopedRelatedField(User, required=False, allow_null=True)
    members = MembersField(child=ScopedRelatedField(User), required=False,
                           help_text="The team's active members (user ids); on write, the "
                                     "whole list. The lead is always a member.")

    class Meta:
        model = Team
        fields = ("id", "version", "name", "lead", "members", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")
        validators: list = []  # a taken name: the service says so, on ``name``

    create_service = staticmethod(services.team_create)
    update_service = staticmethod(services.team_update)
    instance_kwarg = "team"

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        team = super().update(instance, validated_data)
        team.__dict__.pop("active_members", None)  # read before the change: answer afresh
        return team


class TeamViewSet(TenantViewSet):
    """Teams: a sales representative sees the records their team owns."""

    queryset = Team.objects.none()
    serializer_class = TeamSerializer
    permission_domain = "customers"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    action_permissions = {name: MANAGE for name in ("create", "update", "partial_update")}

    def scoped_queryset(self) -> QuerySet:
        active = User.objects.filter(is_active=True).order_by("email")
        return Team.objects.select_related("lead").prefetch_related(
            Prefetch("members", queryset=active, to_attr="active_members")).order_by("name")
