"""The e-mail channel in the process: what each message carries, consent at send time, the
throttle, the one-sender lease. The worker killed mid-send is in test_send_resume.py."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client

from tests.core.factories import as_user
from tests.marketing.factories import contacts, ready_campaign
from vinculo.core import events
from vinculo.customers import services as customer_services
from vinculo.marketing import identifiers, sending, services
from vinculo.marketing.models import Campaign, CampaignRecipient, CampaignStatus

pytestmark = pytest.mark.django_db


def _start(admin, campaign, capture):
    with as_user(admin), capture(execute=False) as callbacks:
        services.campaign_start(campaign=campaign, actor=admin)
    return callbacks


def _text(message) -> str:
    return next(p for p in message.walk() if p.get_content_type() == "text/plain") \
        .get_payload(decode=True).decode()


def _html(message) -> str:
    return next(p for p in message.walk() if p.get_content_type() == "text/html") \
        .get_payload(decode=True).decode()


def test_each_message_is_personal_tracked_and_unsubscribable(
        admin, mail_server, django_capture_on_commit_callbacks):
    members = contacts(admin, 3)
    campaign = ready_campaign(admin, members, control_share=0)
    callbacks = _start(admin, campaign, django_capture_on_commit_callbacks)
    with events.recording() as published:
        for callback in callbacks:  # the task runs at once (immediate backend)
            callback()
    assert len(mail_server) == 3
    rows = {r.email: r for r in CampaignRecipient.objects.filter(campaign=campaign)}
    for message in mail_server:
        row = rows[message["To"]]
        assert row.status == "sent" and row.sent_at
        assert message["Subject"] == f"Hola {row.contact.first_name}"
        domain = message["Message-ID"].rpartition("@")[2].rstrip(">")
        assert message["Message-ID"] == identifiers.message_id(row.token, domain)
        unsubscribe = re.fullmatch(r"<(https?://[^>]+)>",
                                   message["List-Unsubscribe"].strip()).group(1)
        assert f"/m/u/{row.token}/" in unsubscribe
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text, html = _text(message), _html(message)
        assert f"Hola {row.contact.first_name}, mira" in text
        assert "https://tienda.example.es/o?a=1" not in text.replace("%3A", ":")  # rewritten
        assert f"/m/c/{row.token}/" in text and unsubscribe in text  # visible link
        assert f"/m/o/{row.token}/" in html and unsubscribe in html
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT and campaign.send_lease == ""
    assert [o.name for o in published] == ["campaign.sent"]
    assert published[0].data["sent"] == 3


def test_links_in_the_sent_message_work(admin, mail_server,
                                        django_capture_on_commit_callbacks):
    campaign = ready_campaign(admin, contacts(admin, 1), control_share=0)
    for callback in _start(admin, campaign, django_capture_on_commit_callbacks):
        callback()
    html = _html(mail_server[0])
    click = re.search(r'href="(https?://[^"]+/m/c/[^"]+)"', html).group(1).replace("&amp;", "&")
    pixel = re.search(r'src="(https?://[^"]+/m/o/[^"]+)"', html).group(1)
    client = Client()
    parts = urlsplit(click)
    response = client.get(parts.path + "?" + parts.query)
    assert response.status_code == 302
    assert response["Location"] == "https://tienda.example.es/o?a=1"
    assert client.get(urlsplit(pixel).path)["Content-Type"] == "image/gif"
    row = CampaignRecipient.objects.get(campaign=campaign)
    assert row.clicked_at and row.opened_at


def test_consent_withdrawn_after_the_start_is_respected(
        admin, mail_server, django_capture_on_commit_callbacks):
    members = contacts(admin, 3)
    campaign = ready_campaign(admin, members, control_share=0)
    callbacks = _start(admin, campaign, django_capture_on_commit_callbacks)
    with as_user(admin):
        customer_services.consent_record(actor=admin, contact=members[1], channel="email",
                                         granted=False)
    for callback in callbacks:
        callback()
    assert sorted(m["To"] for m in mail_server) == [members[0].email, members[2].email]
    row = CampaignRecipient.objects.get(campaign=campaign, contact=members[1])
    assert row.status == "skipped" and "withdrawn after the start" in row.skipped_reason


def test_throttle_spaces_the_messages(admin, mail_server, django_capture_on_commit_callbacks):
    campaign = ready_campaign(admin, contacts(admin, 4), control_share=0,
                              messages_per_minute=240)  # one every 0.25 s
    callbacks = _start(admin, campaign, django_capture_on_commit_callbacks)
    started = time.monotonic()
    for callback in callbacks:
        callback()
    assert len(mail_server) == 4
    assert time.monotonic() - started >= 0.7  # three gaps of 0.25 s


def test_a_second_sender_finds_the_lease_held_and_sends_nothing(
        admin, mail_server, django_capture_on_commit_callbacks):
    campaign = ready_campaign(admin, contacts(admin, 2), control_share=0)
    _start(admin, campaign, django_capture_on_commit_callbacks)  # task not run
    holder = sending.Run(campaign.pk)
    assert holder.acquire()
    assert sending.campaign_send(campaign.pk) == "busy"
    assert mail_server == []
    assert sending.campaigns_to_resume() == []  # its holder is alive
    Campaign.all_objects.filter(pk=campaign.pk).update(send_heartbeat=None)  # it went silent
    assert sending.campaigns_to_resume() == [campaign.pk]
    assert sending.campaign_send(campaign.pk) == "sent 2"
    assert len(mail_server) == 2


def test_a_message_left_sending_by_a_dead_sender_goes_again_with_the_same_message_id(
        admin, mail_server, django_capture_on_commit_callbacks):
    campaign = ready_campaign(admin, contacts(admin, 2), control_share=0)
    _start(admin, campaign, django_capture_on_commit_callbacks)
    first = CampaignRecipient.objects.filter(campaign=campaign).order_by("id").first()
    CampaignRecipient.objects.filter(pk=first.pk).update(status="sending")  # killed mid-send
    assert sending.campaign_send(campaign.pk) == "sent 2"
    resent = next(m for m in mail_server if m["To"] == first.email)
    assert first.token in resent["Message-ID"]


def test_one_statement_marks_the_previous_sent_and_the_next_sending_only_while_ours(
        admin, django_capture_on_commit_callbacks):
    campaign = ready_campaign(admin, contacts(admin, 4), control_share=0)
    _start(admin, campaign, django_capture_on_commit_callbacks)  # task not run
    first, second, third, fourth = CampaignRecipient.objects.filter(
        campaign=campaign).order_by("id")
    run = sending.Run(campaign.pk)
    assert run.acquire()

    def status(row):
        return CampaignRecipient.objects.get(pk=row.pk).status

    with sending.Marks(run) as marks:
        assert marks.next(first.pk) is True
        marks.accepted(first.pk)
        statements = []
        with connection.execute_wrapper(
                lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
            assert marks.next(second.pk) is True
        assert len(statements) == 1  # both marks, one round trip
        assert (status(first), status(second)) == ("sent", "sending")
        assert CampaignRecipient.objects.get(pk=first.pk).sent_at is not None
        marks.accepted(second.pk)
        CampaignRecipient.objects.filter(pk=third.pk).update(status="skipped")  # meanwhile
        assert marks.next(third.pk) is False  # not sent: it was skipped
        assert (status(second), status(third)) == ("sent", "skipped")  # the accepted one is
        marks.accepted(fourth.pk)  # pretend the fourth went out
        Campaign.all_objects.filter(pk=campaign.pk).update(send_lease="someone else")
    # the lease was lost: the final flush writes nothing, the next holder sends it again
    assert status(fourth) == "pending"
