"""Comments on records: @mentions by e-mail or name notify colleagues of the same
organisation (a real SMTP server receives the messages); the panel, the API, the timeline."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from django.urls import reverse

from tests.attachments.factories import comment
from tests.conftest import make_user, token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.sales.factories import OpportunityFactory
from vinculo.attachments.models import Comment
from vinculo.core import events
from vinculo.core.roles import Role

pytestmark = pytest.mark.django_db


def subject(message) -> str:
    return str(make_header(decode_header(message["subject"])))


def text(message) -> str:
    return message.get_payload(decode=True).decode()

HTMX = {"HTTP_HX_REQUEST": "true"}


def ref(record) -> str:
    return f"{record._meta.label_lower}:{record.uuid}"


def panel_url(record) -> str:
    return f"{reverse('attachments:comment_panel')}?record={ref(record)}"


def test_mentions_by_email_and_name_notify_colleagues_only(users, other_org, mail_server,
                                                          django_capture_on_commit_callbacks):
    admin, manager, agent = users[Role.ADMIN], users[Role.SALES_MANAGER], users[
        Role.SERVICE_AGENT]
    # a user of another organisation with the same name and address is never told
    outsider = make_user(other_org, Role.ADMIN, "outsider@globex.test")
    outsider.first_name, outsider.last_name = agent.first_name, agent.last_name
    outsider.save()
    opportunity = OpportunityFactory(actor=admin, name="Trato Sol")
    body = (f"@{manager.email} revisa el precio; @{agent.get_full_name()} llama al cliente. "
            f"Yo (@{admin.email}) lo apruebo.")
    with django_capture_on_commit_callbacks(execute=True), events.recording() as published:
        made = comment(admin, opportunity, body)
    assert set(made.mentions.all()) == {manager, agent, admin}
    recipients = sorted(message["to"] for message in mail_server)
    assert recipients == sorted([manager.email, agent.email])  # not the author, no outsider
    first = mail_server[0]
    assert "mentioned you on" in subject(first) and "Trato Sol" in subject(first)
    assert reverse("sales:opportunity_detail", kwargs={"uuid": opportunity.uuid}) in text(first)
    assert "llama al cliente" in text(first)
    assert [e.name for e in published] == ["comment.added"]
    assert set(published[0].data["mentions"]) == {str(u.uuid) for u in (manager, agent, admin)}


def test_a_mention_is_written_in_the_recipients_language(users, mail_server,
                                                         django_capture_on_commit_callbacks):
    admin, manager = users[Role.ADMIN], users[Role.SALES_MANAGER]
    manager.language = "es"
    manager.save()
    account = AccountFactory(actor=admin, name="Textil Sol SL")
    with django_capture_on_commit_callbacks(execute=True):
        comment(admin, account, f"@{manager.email} mira esto")
    assert "te ha mencionado" in subject(mail_server[0])


def test_a_name_that_only_starts_like_a_colleague_is_not_a_mention(users):
    admin, manager = users[Role.ADMIN], users[Role.SALES_MANAGER]
    account = AccountFactory(actor=admin)
    made = comment(admin, account, f"@{manager.get_full_name()}son no es nadie")
    assert list(made.mentions.all()) == []


def test_the_panel_adds_and_lists_comments(client, admin):
    account = AccountFactory(actor=admin)
    client.force_login(admin)
    response = client.post(panel_url(account), {"body": "Cliente <b>contento</b>"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cliente &lt;b&gt;contento&lt;/b&gt;" in html  # escaped, never markup
    assert Comment.all_objects.count() == 1
    empty = client.post(panel_url(account), {"body": "   "}, **HTMX)
    assert "Write a comment." in empty.content.decode()
    assert Comment.all_objects.count() == 1


def test_comments_show_on_the_timeline(client, admin):
    account = AccountFactory(actor=admin)
    comment(admin, account, "Pide descuento por volumen")
    client.force_login(admin)
    page = client.get(reverse("customers:account_detail", kwargs={"uuid": account.uuid}))
    assert "Pide descuento por volumen" in page.content.decode()


def test_api_comments_per_record(api, admin, users):
    manager = users[Role.SALES_MANAGER]
    account, other = AccountFactory(actor=admin), AccountFactory(actor=admin)
    comment(admin, other, "otra")
    created = api.post("/api/comments/", {"record": ref(account),
                                          "body": f"Hola @{manager.email}"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["mentions"] == [str(manager.uuid)]
    listed = api.get("/api/comments/", {"record": ref(account)}).json()["results"]
    assert [row["body"] for row in listed] == [f"Hola @{manager.email}"]
    too_long = api.post("/api/comments/", {"record": ref(account), "body": "x" * 10_001},
                        format="json")
    assert too_long.status_code == 400 and "body" in too_long.json()
    missing = api.post("/api/comments/", {"record": "sales.order:" + str(account.uuid),
                                          "body": "x"}, format="json")
    assert missing.status_code == 400 and "record" in missing.json()


def test_only_the_author_or_a_manager_removes_a_comment(users):
    admin, rep, mate = users[Role.ADMIN], users[Role.SALES_REP], users["sales_rep_2"]
    account = AccountFactory(actor=admin, owner=rep, team=rep.team)
    mine = comment(rep, account)
    assert token_client(mate).delete(f"/api/comments/{mine.uuid}/").status_code == 403
    assert token_client(rep).delete(f"/api/comments/{mine.uuid}/").status_code == 204
    theirs = comment(rep, account)
    assert token_client(users[Role.SALES_MANAGER]).delete(
        f"/api/comments/{theirs.uuid}/").status_code == 204


def test_a_representative_does_not_read_comments_on_records_they_cannot_see(client, users):
    admin, rep, south = users[Role.ADMIN], users[Role.SALES_REP], users["sales_rep_south"]
    theirs = AccountFactory(actor=admin, owner=south, team=south.team)
    with as_user(admin):
        comment(admin, theirs, "confidencial")
    client.force_login(rep)
    assert client.get(panel_url(theirs)).status_code == 404
    assert token_client(rep).get("/api/comments/").json()["results"] == []
