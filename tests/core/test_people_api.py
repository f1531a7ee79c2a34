"""The people API: /api/users/ (read by everyone, written by administrators through the
services) and /api/teams/. Every answer is checked against the OpenAPI schema
(tests/openapi.py)."""

from __future__ import annotations

import pytest

from tests.conftest import token_client
from vinculo.core.models import Invitation, User
from vinculo.core.roles import Role


def _url(user, action: str = "") -> str:
    return f"/api/users/{user.uuid}/" + (f"{action}/" if action else "")


@pytest.mark.django_db
def test_an_administrator_invites_and_changes_users(api, admin, users,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        created = api.post("/api/users/", {"email": "Api@Acme.test", "role": "sales_rep",
                                           "team": "North", "first_name": "Ana"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["email"], body["role"], body["team"], body["status"], body["is_active"]) == (
        "api@acme.test", "sales_rep", "North", "invited", False)
    invited = User.objects.get(email="api@acme.test")
    assert Invitation.all_objects.filter(user=invited, accepted_at__isnull=True).count() == 1

    changed = api.patch(_url(invited), {"role": "analyst", "team": None,
                                        "version": body["version"]}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["role"], changed.json()["team"]) == ("analyst", None)
    assert changed.json()["version"] == body["version"] + 1

    whole = api.put(_url(invited), {"email": "api@acme.test", "role": "analyst",
                                    "first_name": "Ana María",
                                    "version": changed.json()["version"]}, format="json")
    assert whole.status_code == 200, whole.content  # a PUT repeats the e-mail unchanged
    assert whole.json()["first_name"] == "Ana María"

    resent = api.post(_url(invited, "resend-invitation"))
    assert resent.status_code == 200 and resent.json()["status"] == "invited"
    assert Invitation.all_objects.filter(user=invited, revoked_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_refusals_name_the_field(api, admin, users):
    cases = [
        ("post", "/api/users/", {"email": admin.email}, "email"),
        ("post", "/api/users/", {"email": "x@acme.test", "role": "emperor"}, "role"),
        ("post", "/api/users/", {"email": "x@acme.test", "team": "Nowhere"}, "team"),
        ("patch", _url(users[Role.ANALYST]), {"role": "analyst"}, "version"),
        ("patch", _url(users[Role.ANALYST]), {"email": "new@acme.test", "version": 1}, "email"),
        ("patch", _url(admin), {"role": "analyst", "version": admin.version}, "role"),
        ("post", _url(admin, "deactivate"), None, "is_active"),
        ("post", _url(users[Role.ANALYST], "resend-invitation"), None, "user"),
        ("post", "/api/teams/", {"name": "north"}, "name"),
    ]
    for method, url, payload, field in cases:
        response = getattr(api, method)(url, payload, format="json")
        assert response.status_code == 400, (url, payload, response.content)
        assert field in response.json(), (url, payload, response.json())
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)
    assert not User.objects.filter(email="x@acme.test").exists()


@pytest.mark.django_db
def test_deactivation_through_the_api_stops_the_users_token(api, users):
    rep = users[Role.SALES_REP]
    rep_api = token_client(rep)
    assert rep_api.get("/api/users/").status_code == 200
    done = api.post(_url(rep, "deactivate"))
    assert done.status_code == 200 and done.json()["status"] == "deactivated"
    assert rep_api.get("/api/users/").status_code == 401
    assert api.delete(_url(rep)).status_code == 405  # never deleted
    assert api.post(_url(rep, "reactivate")).json()["status"] == "active"
    assert rep_api.get("/api/users/").status_code == 200


@pytest.mark.django_db
def test_non_administrators_only_read_people(users):
    target = users[Role.ANALYST]
    for role in (Role.SALES_MANAGER, Role.SALES_REP, Role.SERVICE_AGENT, Role.READ_ONLY):
        client = token_client(users[role])
        assert client.get("/api/users/").status_code == 200
        for action in ("deactivate", "reactivate", "resend-invitation", "reset-password"):
            assert client.post(_url(target, action)).status_code == 403, (role, action)
        assert client.post("/api/users/", {"email": "y@acme.test"},
                           format="json").status_code == 403
        assert client.post("/api/teams/", {"name": "Propio"}, format="json").status_code == 403
    target.refresh_from_db()
    assert target.is_active and not User.objects.filter(email="y@acme.test").exists()


@pytest.mark.django_db
def test_teams_with_members_and_lead(api, users):
    rep, manager = users["sales_rep_south"], users[Role.SALES_MANAGER]
    created = api.post("/api/teams/", {"name": "Centro", "lead": str(manager.uuid),
                                       "members": [str(rep.uuid)]}, format="json")
    assert created.status_code == 201, created.content
    team = created.json()
    assert team["lead"] == str(manager.uuid)
    assert set(team["members"]) == {str(rep.uuid), str(manager.uuid)}
    rep.refresh_from_db()
    assert rep.team.name == "Centro"
    renamed = api.patch(f"/api/teams/{team['id']}/", {"name": "Centro-Sur", "members": [],
                                                       "version": team["version"]},
                        format="json")
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["members"] == [str(manager.uuid)]  # the lead stays a member
    assert token_client(rep).get("/api/teams/").status_code == 200  # everyone reads teams
