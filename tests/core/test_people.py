"""User and team administration (``core.people``): invitations with a one-time link, roles,
teams, deactivation, forced password resets, the guards, the audit log — and the staff
e-mail queue that survives an SMTP outage."""

from __future__ import annotations

import datetime as dt
import re
import socket

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import PASSWORD, make_user, token_client
from tests.core.factories import as_user
from tests.smtp import smtp_server
from vinculo.core.mailqueue import RETRY_MINUTES
from vinculo.core.models import AuditEntry, EmailStatus, Invitation, OutgoingEmail, Team, User
from vinculo.core.people import services
from vinculo.core.roles import Role


def _link(message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"https?://[^/\s]+(/invitation/\S+/)", body).group(1)


def _invite(admin, **data):
    with as_user(admin):
        return services.user_invite(actor=admin, data={"role": Role.SALES_REP, **data})


@pytest.fixture
def north(users, org):
    return Team.all_objects.get(organization=org, name="North")


# ---- invitations ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_invitation_is_mailed_with_a_link_that_signs_the_user_in_once(
        admin, north, client, mail_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(admin, email=" Nueva@Acme.test ", first_name="Nuria", team=north)
    assert (user.email, user.is_active, user.role, user.team) == (
        "nueva@acme.test", False, Role.SALES_REP, north)
    assert not user.has_usable_password()
    (message,) = mail_server
    assert message["To"] == "nueva@acme.test"
    link = _link(message)
    assert Invitation.all_objects.get(user=user).token_hash not in link  # only a hash is kept

    page = client.get(link)
    assert page.status_code == 200 and "nueva@acme.test" in page.content.decode()
    weak = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 400 and "too short" in weak.content.decode()
    user.refresh_from_db()
    assert not user.is_active  # nothing half-done

    done = client.post(link, {"new_password1": "Un-Buen-Pass-2026",
                              "new_password2": "Un-Buen-Pass-2026"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)  # signed in with the given role
    user.refresh_from_db()
    assert user.is_active and user.check_password("Un-Buen-Pass-2026")
    client.logout()
    assert client.get(link).status_code == 404  # the link works once
    with pytest.raises(ValidationError) as used:
        services.invitation_accept(token=link.split("/")[-2], password="Otro-Pass-2026!")
    assert "token" in used.value.message_dict


@pytest.mark.django_db
def test_an_expired_or_replaced_link_does_not_work(admin, client, mail_server,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(admin, email="tarde@acme.test")
    first = _link(mail_server[0])
    Invitation.all_objects.filter(user=user).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert client.get(first).status_code == 404
    with django_capture_on_commit_callbacks(execute=True), as_user(admin):
        services.user_invitation_resend(actor=admin, user=user)
    second = _link(mail_server[1])
    assert second != first and client.get(second).status_code == 200
    with django_capture_on_commit_callbacks(execute=True), as_user(admin):
        services.user_invitation_resend(actor=admin, user=user)
    assert client.get(second).status_code == 404  # replaced by the newer one
    assert client.get(_link(mail_server[2])).status_code == 200


@pytest.mark.django_db
def test_bad_invitations_are_refused_naming_the_field(admin, other_org):
    foreign_team = Team.all_objects.create(organization=other_org, name="Ajeno")
    cases = [({"email": "no-es-correo"}, "email"),
             ({"email": "admin@acme.test"}, "email"),
             ({"email": "x@acme.test", "role": "emperor"}, "role"),
             ({"email": "x@acme.test", "team": foreign_team}, "team"),
             ({"email": "x@acme.test", "language": "xx"}, "language"),
             ({"email": "x@acme.test", "password": "secret"}, "password")]
    for data, field in cases:
        with pytest.raises(ValidationError) as refused:
            _invite(admin, **data)
        assert field in refused.value.message_dict, data
    assert not User.objects.filter(email="x@acme.test").exists()
    assert not Invitation.all_objects.exists()


# ---- guards ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_last_administrator_cannot_be_demoted_or_deactivated(admin, org):
    with as_user(admin), pytest.raises(ValidationError) as demoted:
        services.user_update(actor=admin, user=admin, data={"role": Role.ANALYST},
                             expected_version=admin.version)
    assert "last active administrator" in demoted.value.message_dict["role"][0]
    other = make_user(org, Role.READ_ONLY, "otro@acme.test")
    other.role = Role.ADMIN  # an actor who is not the one deactivated, as a guard check
    with as_user(admin), pytest.raises(ValidationError) as deactivated:
        services.user_deactivate(actor=other, user=admin)
    assert "last active administrator" in deactivated.value.message_dict["is_active"][0]
    with as_user(admin), pytest.raises(ValidationError) as itself:
        services.user_deactivate(actor=admin, user=admin)
    assert "yourself" in itself.value.message_dict["is_active"][0]
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)

    second = make_user(org, Role.ADMIN, "segundo@acme.test")
    with as_user(admin):
        services.user_deactivate(actor=admin, user=second)  # not the last one
        with pytest.raises(ValidationError):  # now admin is the last again
            services.user_update(actor=admin, user=admin, data={"role": Role.ANALYST},
                                 expected_version=admin.version)
        services.user_reactivate(actor=admin, user=second)
        services.user_update(actor=admin, user=admin, data={"role": Role.ANALYST},
                             expected_version=admin.version)
    assert User.objects.get(pk=admin.pk).role == Role.ANALYST


@pytest.mark.django_db
def test_nobody_gives_a_role_above_their_own(users):
    manager = users[Role.SALES_MANAGER]
    with pytest.raises(ValidationError) as refused:
        services.role_check(manager, Role.ADMIN)
    assert "above your own" in refused.value.message_dict["role"][0]
    assert services.role_check(manager, Role.SALES_REP) == Role.SALES_REP
    assert services.role_check(users[Role.ADMIN], Role.ADMIN) == Role.ADMIN


@pytest.mark.django_db
def test_only_administrators_manage_people(users):
    from vinculo.core.services import PermissionDeniedError

    for role in (Role.SALES_MANAGER, Role.SALES_REP, Role.READ_ONLY):
        actor = users[role]
        with as_user(actor), pytest.raises(PermissionDeniedError):
            services.user_invite(actor=actor, data={"email": "x@acme.test"})
        with as_user(actor), pytest.raises(PermissionDeniedError):
            services.user_deactivate(actor=actor, user=users[Role.ANALYST])
    assert users[Role.ANALYST].is_active and not User.objects.filter(
        email="x@acme.test").exists()


@pytest.mark.django_db
def test_a_stale_version_is_a_conflict(admin, users):
    from vinculo.core.services import ConflictError

    analyst = users[Role.ANALYST]
    read = analyst.version
    with as_user(admin):
        services.user_update(actor=admin, user=analyst, data={"first_name": "A"},
                             expected_version=read)
        with pytest.raises(ConflictError):
            services.user_update(actor=admin, user=User.objects.get(pk=analyst.pk),
                                 data={"first_name": "B"}, expected_version=read)


# ---- deactivation and passwords -------------------------------------------------------------


@pytest.mark.django_db
def test_a_deactivated_user_cannot_log_in_use_a_token_or_keep_a_session(admin, users, client):
    rep = users[Role.SALES_REP]
    api = token_client(rep)
    assert api.get("/api/accounts/").status_code == 200
    session = client
    session.post("/login/", {"username": rep.email, "password": PASSWORD})
    assert session.get("/customers/accounts/").status_code == 200
    with as_user(admin):
        services.user_deactivate(actor=admin, user=rep)
    assert api.get("/api/accounts/").status_code == 401
    assert session.get("/customers/accounts/").status_code == 302  # the session is gone
    assert session.post("/login/", {"username": rep.email, "password": PASSWORD}
                        ).status_code == 200  # the form again: refused
    assert session.get("/customers/accounts/").status_code == 302  # still signed out
    assert User.objects.filter(pk=rep.pk).exists()  # never deleted


@pytest.mark.django_db
def test_a_forced_reset_retires_the_password_and_mails_a_link(
        admin, users, client, mail_server, django_capture_on_commit_callbacks):
    analyst = users[Role.ANALYST]
    with django_capture_on_commit_callbacks(execute=True), as_user(admin):
        services.user_password_reset(actor=admin, user=analyst)
    analyst.refresh_from_db()
    assert not analyst.check_password(PASSWORD)
    (message,) = mail_server
    assert message["To"] == analyst.email
    link = re.search(r"https?://[^/\s]+(/reset/\S+/)", message.get_payload(decode=True)
                     .decode()).group(1)
    form = client.get(link, follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Otra-Clave-2026",
                                                    "new_password2": "Otra-Clave-2026"})
    assert done.status_code == 302
    analyst.refresh_from_db()
    assert analyst.check_password("Otra-Clave-2026")


# ---- audit ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_change_to_people_is_audited_with_its_author(admin, users, north):
    analyst = users[Role.ANALYST]
    with as_user(admin):
        services.user_update(actor=admin, user=analyst,
                             data={"role": Role.SALES_MANAGER, "team": north},
                             expected_version=analyst.version)
        services.user_password_reset(actor=admin, user=analyst)
        services.user_deactivate(actor=admin, user=analyst)
        team = services.team_create(actor=admin, data={"name": "Centro",
                                                       "lead": users[Role.MARKETING]})
    rows = list(AuditEntry.all_objects.filter(object_type="core.user", object_id=analyst.pk)
                .order_by("id"))
    changes = [row.changes for row in rows if row.actor_id == admin.pk]
    assert changes[0] == {"role": ["analyst", "sales_manager"], "team_id": [None, north.pk]}
    assert set(changes[1]) == {"password"} and "pbkdf2" not in str(changes[1])
    assert changes[2] == {"is_active": [True, False]}
    team_rows = AuditEntry.all_objects.filter(object_type="core.team", object_id=team.pk)
    assert team_rows.get(action="create").actor_id == admin.pk


# ---- teams ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_team_gets_its_members_and_lead(admin, users, other_admin):
    rep, analyst = users["sales_rep_south"], users[Role.ANALYST]
    with as_user(admin):
        team = services.team_create(actor=admin, data={"name": " Centro  ", "members": [rep],
                                                       "lead": analyst})
        assert team.name == "Centro"
        assert set(User.objects.filter(team=team)) == {rep, analyst}  # the lead is a member
        services.team_update(actor=admin, team=team, data={"members": [analyst]},
                             expected_version=team.version)
        assert set(User.objects.filter(team=team)) == {analyst}
        for data, field in (({"name": "north"}, "name"), ({"name": ""}, "name"),
                            ({"name": "X", "members": [other_admin]}, "members"),
                            ({"name": "Y", "lead": other_admin}, "lead")):
            with pytest.raises(ValidationError) as refused:
                services.team_create(actor=admin, data=data)
            assert field in refused.value.message_dict
    assert Team.all_objects.filter(organization=admin.organization).count() == 3


# ---- the staff e-mail queue -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections
def test_a_password_reset_mail_waits_out_an_smtp_outage(admin, client, settings, task_queue):
    """SMTP down: the reset is queued (not lost, not reported sent), retried by the worker
    after the back-off, and delivered once the server is up (on either task backend)."""
    with socket.socket() as probe:  # a port where nothing listens yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    response = client.post("/password-reset/", {"email": admin.email})
    assert response.status_code == 302
    message = OutgoingEmail.objects.get()
    assert (message.to, message.status) == (admin.email, EmailStatus.QUEUED)

    before = timezone.now()
    task_queue.run()
    after = timezone.now()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (EmailStatus.QUEUED, 1)
    assert "Connection refused" in message.error or "ConnectionRefused" in message.error
    (retry,) = task_queue.waiting()  # the back-off counts from the failed attempt
    back_off = dt.timedelta(minutes=RETRY_MINUTES[0])
    assert before + back_off - dt.timedelta(seconds=1) <= retry <= after + back_off

    with smtp_server() as (up_port, inbox):
        settings.EMAIL_PORT = up_port
        task_queue.run()
        assert inbox == []  # not before its time
        task_queue.make_due()
        task_queue.run()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (EmailStatus.SENT, 2, "")
    assert task_queue.waiting() == []
    (delivered,) = inbox
    assert delivered["To"] == admin.email
    assert "/reset/" in delivered.get_payload(decode=True).decode()


# ---- pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pages_show_refusals_on_the_field_and_change_nothing(page, admin, users):
    edit = f"/settings/users/{admin.uuid}/"
    demoted = page.post(edit, {"role": Role.ANALYST, "version": admin.version})
    assert demoted.status_code == 400
    assert demoted.context["form"].errors["role"][0].startswith(str(admin))
    refused = page.post(f"{edit}deactivate/", follow=True)
    assert "You cannot deactivate yourself." in refused.content.decode()
    taken = page.post("/settings/users/invite/", {"email": users[Role.ANALYST].email,
                                                 "role": Role.SALES_REP})
    assert taken.status_code == 400 and "email" in taken.context["form"].errors
    team = page.post("/settings/teams/new/", {"name": "north"})
    assert team.status_code == 400 and "name" in team.context["form"].errors
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)
    assert Team.all_objects.filter(organization=admin.organization).count() == 2


@pytest.mark.django_db
def test_an_administrator_edits_people_on_the_pages(page, admin, users):
    analyst, rep = users[Role.ANALYST], users["sales_rep_south"]
    made = page.post("/settings/teams/new/", {"name": "Centro", "lead": analyst.uuid,
                                              "members": [rep.uuid]})
    assert made.status_code == 302
    team = Team.all_objects.get(organization=admin.organization, name="Centro")
    assert set(User.objects.filter(team=team)) == {analyst, rep}
    changed = page.post(f"/settings/users/{rep.uuid}/", {
        "role": Role.SALES_MANAGER, "team": "", "first_name": "Rosa", "last_name": "",
        "language": "es", "version": User.objects.get(pk=rep.pk).version})
    assert changed.status_code == 302
    rep.refresh_from_db()
    assert (rep.role, rep.team, rep.first_name, rep.language) == (
        Role.SALES_MANAGER, None, "Rosa", "es")
    assert page.post(f"/settings/users/{rep.uuid}/deactivate/").status_code == 302
    rep.refresh_from_db()
    assert not rep.is_active
    listed = page.get("/settings/users/").content.decode()
    assert "Deactivated" in listed and "Rosa" in listed


@pytest.mark.django_db
def test_non_administrators_get_403_on_every_people_page(client, users):
    target = users[Role.ANALYST]
    for role in (Role.SALES_MANAGER, Role.SALES_REP, Role.ANALYST, Role.READ_ONLY):
        client.force_login(users[role])
        for url in ("/settings/users/", "/settings/users/invite/", "/settings/teams/",
                    "/settings/teams/new/", f"/settings/users/{target.uuid}/"):
            assert client.get(url).status_code == 403, (role, url)
        for action in ("deactivate", "reactivate", "resend", "reset"):
            response = client.post(f"/settings/users/{target.uuid}/{action}/")
            assert response.status_code == 403, (role, action)
        assert client.post("/settings/users/invite/", {"email": "z@acme.test",
                                                       "role": "admin"}).status_code == 403
    target.refresh_from_db()
    assert target.is_active and not User.objects.filter(email="z@acme.test").exists()


@pytest.mark.django_db
def test_the_invitation_form_starts_on_the_least_privileged_role(page):
    """It opened on "Administrator" (the first role of the list): one click on "Send" away
    from inviting an administrator by accident."""
    html = page.get("/settings/users/invite/").content.decode()
    selected = re.search(r'<select name="role"[^>]*>.*?<option value="([^"]+)" selected',
                         html, re.S)
    assert selected and selected.group(1) == Role.READ_ONLY
