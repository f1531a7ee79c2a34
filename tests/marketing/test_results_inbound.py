"""Bounces, complaints and replies come back through the inbound mail path: a real DSN and a
real reply delivered into a real IMAP mailbox (dovecot, tests/imap.py) and read by the
poller."""

from __future__ import annotations

import email
from email.message import EmailMessage as Mime
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid

import pytest

from tests import imap
from tests.core.factories import as_user
from tests.customers.factories import ContactFactory
from tests.marketing.factories_results import campaign_make, recipient_make
from vinculo.core import timeline
from vinculo.core.tenancy import organization_scope
from vinculo.interactions import mailing
from vinculo.interactions.models import EmailMessage, Interaction, Mailbox
from vinculo.marketing.identifiers import message_id
from vinculo.marketing.models import CampaignRecipient, Suppression
from vinculo.marketing.results import reports

dovecot, mail_user = imap.dovecot, imap.mail_user
pytestmark = pytest.mark.django_db
DOMAIN = "acme.test"


def original(recipient: CampaignRecipient) -> Mime:
    mime = Mime()
    mime["From"] = "Acme <ofertas@acme.test>"
    mime["To"] = recipient.email
    mime["Subject"] = "Oferta de primavera"
    mime["Message-ID"] = message_id(recipient.token, DOMAIN)
    mime.set_content("Hola, tenemos una oferta.")
    return mime


def dsn(recipient: CampaignRecipient, *, status: str = "5.1.1", action: str = "failed",
        headers_only: bool = False) -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464)."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "MAILER-DAEMON@mx.cliente.es (Mail Delivery System)"
    report["To"] = "ofertas@acme.test"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = make_msgid(domain="mx.cliente.es")
    report["Auto-Submitted"] = "auto-replied"
    report.attach(MIMEText("I'm sorry to have to inform you that your message could not be "
                           "delivered to one or more recipients.\n"))
    status_part = MIMEBase("message", "delivery-status")
    status_part.set_payload([
        email.message_from_string("Reporting-MTA: dns; mx.cliente.es\n"
                                  "Arrival-Date: Mon, 7 Dec 2026 10:00:00 +0100\n"),
        email.message_from_string(
            f"Final-Recipient: rfc822; {recipient.email}\n"
            f"Original-Recipient: rfc822;{recipient.email}\n"
            f"Action: {action}\nStatus: {status}\n"
            "Remote-MTA: dns; mx.cliente.es\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <x>: Recipient address rejected: User unknown\n"),
    ])
    report.attach(status_part)
    if headers_only:
        report.attach(MIMEText(original(recipient).as_string().split("\n\n")[0],
                               "rfc822-headers"))
    else:
        report.attach(MIMEMessage(original(recipient)))
    return report.as_bytes()


def arf(recipient: CampaignRecipient) -> bytes:
    """A complaint feedback report (RFC 5965), as a mailbox provider's loop sends it."""
    report = MIMEMultipart("report", report_type="feedback-report")
    report["From"] = "fbl@proveedor.example"
    report["To"] = "ofertas@acme.test"
    report["Subject"] = "Abuse report"
    report["Message-ID"] = make_msgid(domain="proveedor.example")
    report.attach(MIMEText("This is an email abuse report.\n"))
    feedback = MIMEBase("message", "feedback-report")
    feedback.set_payload("Feedback-Type: abuse\nUser-Agent: FBL/1.0\nVersion: 1\n"
                         f"Original-Rcpt-To: {recipient.email}\n")
    report.attach(feedback)
    report.attach(MIMEMessage(original(recipient)))
    return report.as_bytes()


def reply(recipient: CampaignRecipient) -> bytes:
    mime = Mime()
    mime["From"] = f"Ana <{recipient.email}>"
    mime["To"] = "ofertas@acme.test"
    mime["Subject"] = "Re: Oferta de primavera"
    mime["Message-ID"] = make_msgid(domain="sur.es")
    mime["In-Reply-To"] = message_id(recipient.token, DOMAIN)
    mime["References"] = message_id(recipient.token, DOMAIN)
    mime.set_content("Me interesa, llámenme.")
    return mime.as_bytes()


@pytest.fixture
def mailbox(admin, mail_user) -> Mailbox:
    with as_user(admin):
        return mailing.mailbox_create(actor=admin, password=mail_user.password, data={
            "name": "Ofertas", "address": mail_user.address, "imap_host": "127.0.0.1",
            "imap_port": mail_user.server.imap_port, "imap_ssl": False,
            "imap_username": mail_user.address})


@pytest.fixture
def sent(admin):
    campaign = campaign_make(admin)
    ana = ContactFactory(actor=admin, email="ana@sur.es", first_name="Ana")
    luis = ContactFactory(actor=admin, email="luis@sur.es", first_name="Luis")
    return campaign, recipient_make(campaign, ana), recipient_make(campaign, luis)


def poll(mailbox: Mailbox) -> mailing.PollResult:
    with organization_scope(mailbox.organization_id):
        mailbox.refresh_from_db()
        return mailing.mailbox_poll(mailbox=mailbox)


def test_a_hard_bounce_from_the_imap_poller_marks_the_recipient_and_suppresses_it(
        admin, mailbox, mail_user, sent):
    campaign, ana, luis = sent
    mail_user.deliver(dsn(ana), sender="")
    mail_user.deliver(dsn(luis, status="4.2.2", action="delayed", headers_only=True),
                      sender="")
    result = poll(mailbox)
    assert (result.fetched, result.handled, result.stored, result.rejected) == (2, 2, 0, 0)
    ana.refresh_from_db()
    luis.refresh_from_db()
    assert ana.bounced_at is not None and ana.bounce_kind == "hard"
    assert luis.bounced_at is not None and luis.bounce_kind == "soft"
    with as_user(admin):
        suppressed = list(Suppression.objects.values_list("email", "reason", "campaign"))
        assert suppressed == [("ana@sur.es", "bounce", campaign.pk)]
        # the DSN is not the customer's e-mail: nothing on a thread or the timeline
        assert not EmailMessage.objects.exists() and not Interaction.objects.exists()
    # read again (a re-poll after a crash): nothing changes, nothing duplicates
    first = ana.bounced_at
    with organization_scope(admin.organization_id):
        again = mailing.email_receive(organization=admin.organization, raw=dsn(ana))
    assert again.outcome == "handled"
    ana.refresh_from_db()
    assert ana.bounced_at == first
    assert Suppression.all_objects.count() == 1


def test_a_soft_bounce_never_downgrades_a_hard_one(admin, sent):
    _campaign, ana, _luis = sent
    with organization_scope(admin.organization_id):
        mailing.email_receive(organization=admin.organization, raw=dsn(ana))
        mailing.email_receive(organization=admin.organization,
                              raw=dsn(ana, status="4.4.1", action="delayed"))
    ana.refresh_from_db()
    assert ana.bounce_kind == "hard"


def test_a_complaint_report_suppresses_the_address(admin, mailbox, mail_user, sent):
    campaign, ana, _luis = sent
    mail_user.deliver(arf(ana), sender="")
    assert poll(mailbox).handled == 1
    row = Suppression.all_objects.get()
    assert (row.email, row.reason, row.campaign_id, row.detail) == (
        "ana@sur.es", "complaint", campaign.pk, "abuse")
    ana.refresh_from_db()
    assert ana.bounced_at is None


def test_a_dsn_about_someone_elses_message_is_kept_as_ordinary_mail(admin, other_admin, sent):
    _campaign, ana, _luis = sent
    with organization_scope(other_admin.organization_id):
        received = mailing.email_receive(organization=other_admin.organization, raw=dsn(ana))
    assert received.outcome == "stored"  # another organisation's token: not ours to record
    ana.refresh_from_db()
    assert ana.bounced_at is None


def test_garbled_reports_are_not_read_as_bounces():
    assert reports.read(b"Subject: hola\r\n\r\nmultipart/report in the body only") is None
    broken = (b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n"
              b"--x\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--x--\r\n")
    assert reports.read(broken) is None  # no original Message-ID: nobody to mark


def test_a_reply_from_the_imap_poller_sets_replied_at_and_stays_on_the_timeline(
        admin, mailbox, mail_user, sent):
    campaign, ana, luis = sent
    mail_user.deliver(reply(ana))
    result = poll(mailbox)
    assert (result.stored, result.handled) == (1, 0)
    ana.refresh_from_db()
    luis.refresh_from_db()
    assert ana.replied_at is not None and luis.replied_at is None
    with as_user(admin):
        message = EmailMessage.objects.get()
        assert message.interaction.contact == ana.contact
        titles = [item.title for item in timeline.for_record(ana.contact)]
    assert "Re: Oferta de primavera" in " ".join(titles)
    assert f"Replied to the campaign: {campaign.name}" in titles
    assert f"Campaign sent: {campaign.name}" in titles
