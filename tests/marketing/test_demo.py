"""``vinculo demo`` fills marketing: segments with members, a finished e-mail campaign whose
results page shows a lift and an ROI, a call list being worked, a web-form campaign with
attributed submissions, a draft, suggested actions — named in the organisation's language."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from vinculo.analytics.home import key_figures
from vinculo.core.models import Organization, User
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.marketing.actions.models import Suggestion, SuggestionStatus
from vinculo.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignRecipient,
    CampaignStatus,
    RecipientStatus,
)
from vinculo.marketing.models_channels import CallAssignment, CampaignSubmission
from vinculo.marketing.results import selectors as results
from vinculo.segments.models import Segment, SegmentKind, SegmentMember

pytestmark = pytest.mark.django_db

CUSTOMERS = 600
NAMES = ("High-value customers at risk", "Lapsed 90 days", "Champions",
         "Newsletter subscribers", "Key accounts: call this quarter")
CAMPAIGNS = ("Win-back: we miss you", "Key accounts: quarterly call",
             "Spring catalogue on request", "Thank-you letter to our champions")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One demo for the module (it takes seconds); the tests only read it."""
    with django_db_blocker.unblock():
        call_command("demo", "--customers", str(CUSTOMERS), "--seed", "3", "--no-progress",
                     "--org", "Marketing demo", "--password", "demo-pass-123",
                     stdout=io.StringIO())
        organization = Organization.objects.get(name="Marketing demo")
        yield organization
        from vinculo.core.demo import demo_reset

        demo_reset(organization)


def test_every_segment_has_members_and_the_static_list_is_materialised(demo):
    with organization_scope(demo):
        segments = {s.name: s for s in Segment.objects.all()}
        # named in the organisation's language: Spanish for the Spanish demo company
        assert demo.language == "es"
        with translation.override(demo.language):
            assert set(segments) == {str(_(name)) for name in NAMES}
            assert set(Campaign.objects.values_list("name", flat=True)) == {
                str(_(name)) for name in CAMPAIGNS}
        assert "Clientes de alto valor en riesgo" in segments
        for segment in segments.values():
            current = SegmentMember.objects.filter(segment=segment, left_at=None).count()
            assert current > 0, segment.name
            assert segment.member_count == current, segment.name
        assert sum(s.kind == SegmentKind.STATIC for s in segments.values()) == 1


def test_the_email_campaign_finished_with_a_control_group_and_responses(demo):
    with organization_scope(demo):
        campaign = Campaign.objects.get(channel=CampaignChannel.EMAIL)
        assert campaign.status == CampaignStatus.FINISHED
        rows = CampaignRecipient.objects.filter(campaign=campaign)
        sent = rows.filter(status=RecipientStatus.SENT)
        assert rows.filter(status=RecipientStatus.CONTROL).count() > 0
        opened = sent.filter(opened_at__isnull=False).count()
        clicked = sent.filter(clicked_at__isnull=False).count()
        assert sent.count() > opened > clicked > 0
        assert sent.filter(converted_at__isnull=False).count() > 0
        assert not sent.filter(sent_at__lt=campaign.started_at).exists()


def test_the_results_page_shows_the_lift_and_the_roi(demo, client):
    admin = User.objects.get(organization=demo, role=Role.ADMIN, is_active=True)
    with organization_scope(demo):
        campaign = Campaign.objects.get(channel=CampaignChannel.EMAIL)
        result = results.results(campaign)
    assert result.roi.ratio is not None and result.roi.ratio > 0  # it paid for itself
    client.force_login(admin)
    response = client.get(reverse("marketing:campaign_results", kwargs={"uuid": campaign.uuid}),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-figure="figure-lift"' in page  # a control group: the lift is measurable
    assert "No ROI" not in page
    roi = response.context["roi_pct"]
    assert roi and any(ch.isdigit() for ch in str(roi))
    lift = response.context["result"].lift
    assert lift.measurable and lift.treated > 0 and lift.control > 0
    assert lift.conversion.estimate > 0  # the sent group converted more than the control



def test_the_marketing_dashboard_shows_the_campaigns_return_against_its_objective(demo, client):
    marketer = User.objects.filter(organization=demo, role=Role.MARKETING,
                                   is_active=True).first()
    client.force_login(marketer)
    response = client.get(reverse("reports:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    (card,) = [c for c in response.context["cards"]
               if "progress" in c and c["progress"].indicator.key == "campaign_roi"]
    shown = card["progress"]
    assert shown.objective.start <= shown.objective.end
    with organization_scope(demo):
        email = results.campaign_roi(Campaign.objects.get(channel=CampaignChannel.EMAIL))
    assert email.measurable and shown.actual is not None
    assert "Campaign ROI" in response.content.decode()

def test_a_call_list_is_being_worked_and_a_draft_waits(demo):
    with organization_scope(demo):
        calls = Campaign.objects.get(channel=CampaignChannel.PHONE)
        assert calls.status == CampaignStatus.SENDING
        lines = CallAssignment.objects.filter(campaign=calls)
        assert lines.count() >= 2
        assert lines.exclude(outcome="").count() >= 1
        assert Campaign.objects.filter(status=CampaignStatus.DRAFT).count() == 1


def test_the_at_risk_segment_is_the_home_page_figure(demo):
    admin = User.objects.get(organization=demo, role=Role.ADMIN, is_active=True)
    with organization_scope(demo), translation.override("es"):
        segment = Segment.objects.get(name="Clientes de alto valor en riesgo")
        figure = key_figures(admin)["at_risk"]
    assert figure > 0 and segment.member_count == figure


def test_a_web_form_campaign_collects_attributed_submissions(demo, client):
    with organization_scope(demo):
        campaign = Campaign.objects.get(channel=CampaignChannel.WEB_FORM)
        assert campaign.status == CampaignStatus.SENDING and campaign.web_form.active
        submissions = CampaignSubmission.objects.filter(campaign=campaign)
        assert submissions.count() >= 5
        assert submissions.filter(recipient__isnull=False).exists()  # invited subscribers
        assert submissions.filter(recipient__isnull=True).exists()  # and strangers
        assert not submissions.filter(submitted_at__lt=campaign.started_at).exists()
        assert CampaignRecipient.objects.filter(campaign=campaign,
                                                converted_at__isnull=False).exists()
    admin = User.objects.get(organization=demo, role=Role.ADMIN, is_active=True)
    client.force_login(admin)
    panel = client.get(reverse("marketing:channel_panel"),
                       {"record": f"marketing.campaign:{campaign.uuid}"}).content.decode()
    assert f"?campaign={campaign.uuid}" in panel


def test_key_accounts_have_suggested_actions(demo):
    with organization_scope(demo):
        open_ = Suggestion.objects.filter(status=SuggestionStatus.OPEN)
        assert open_.count() > 0
        assert open_.filter(account__owner__isnull=False).exists()
