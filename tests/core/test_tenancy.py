"""Every API endpoint and every page, walked as a user of another organisation.

Records of organisation A must be invisible to organisation B: 404 (not 403) on read, update,
delete and actions, absent from lists and search. The walk is generated from the URL
configuration, so an endpoint added later is covered or makes this test fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.catalog.factories import catalog_records
from tests.conftest import token_client
from tests.core.factories import as_user
from tests.customers.factories import AccountFactory, ContactFactory, LeadFactory
from tests.sales.factories import DeliveryFactory, OrderFactory, free_line
from tests.service.factories import QueueFactory, TicketFactory
from vinculo.core.models import ApiToken, CustomField, Team, User
from vinculo.core.services import api_token_create, custom_field_create
from vinculo.core.tenancy import ScopeError, organization_scope
from vinculo.customers.models import Account, Contact, ImportJob, Lead
from vinculo.marketing.models import Campaign

UUID_KWARG = re.compile(r"<uuid:uuid>|\(\?P<uuid>[^)]*\)")
SKIP_PREFIXES = ("admin/", "i18n/", "jsi18n/")


def walk(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(SKIP_PREFIXES) or "<format>" in route:
            continue  # format-suffixed twins of the same API views
        if isinstance(pattern, URLResolver):
            yield from walk(pattern, route)
        else:
            yield route, pattern


def view_model(pattern: URLPattern) -> type | None:
    callback = pattern.callback
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return None
    model = getattr(cls, "model", None)
    if model is None and getattr(cls, "queryset", None) is not None:
        model = cls.queryset.model
    return model


def is_public(pattern: URLPattern) -> bool:
    callback = pattern.callback
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return bool(getattr(cls, "public", False))


def concrete(route: str, uuid: str) -> str:
    route = UUID_KWARG.sub(uuid, route)
    route = route.replace("^", "").replace("$", "").replace("\\.(?P<format>[a-z0-9]+)/?", "")
    route = re.sub(r"\(\?P<format>[^)]*\)", "json", route)
    return "/" + route.replace("\\", "")


@pytest.fixture
def org_a_records(users):
    """One row of every model that has a UUID route, in organisation A."""
    admin = users["admin"]
    with organization_scope(admin.organization):
        token, _key = api_token_create(user=admin, name="a")
        field = custom_field_create(
            organization=admin.organization,
            model="contact",
            key="shoe_size",
            label="Shoe size",
            type="number",
        )
        job = ImportJob.objects.create(
            organization=admin.organization, user=admin, target="contact", original_name="a.csv"
        )
    records = {
        Account: AccountFactory(actor=admin, name="Zafiro Secreto SA", email="zafiro@secret.es"),
        Contact: ContactFactory(
            actor=admin, first_name="Xiomara", last_name="Secreta", email="xiomara@secret.es"
        ),
        Lead: LeadFactory(
            actor=admin,
            first_name="Yeray",
            last_name="Oculto",
            email="yeray@secret.es",
            company_name="Oculto SL",
        ),
        ApiToken: token,
        CustomField: field,
        User: admin,
        Team: Team.all_objects.get(organization=admin.organization, name="North"),
        ImportJob: job,
        **catalog_records(admin),
    }
    records.update(_documents(admin, records[Account]))
    records.update(_service(admin, records))
    records.update(_interactions(admin, records[Contact]))
    records.update(settings_records(admin))
    records.update(_attachments(admin, records[Account]))
    records.update(_segments(admin))
    records.update(_packages(admin))
    records.update(_marketing(admin))
    records.update(_marketing_nextaction(admin, records[Account]))
    records.update(_integrations(admin))
    records.update(_automation(admin))
    records.update(_contracts(admin, records[Account]))
    records.update(_reports(admin))
    records.update(_portal(admin, records[Account]))
    records.update(_loyalty(admin, records[Account]))
    records.update(_suppliers(admin, records))
    return records


def _suppliers(admin, records):
    """A supplier of the secret product (the product-supplier API route names it) and a line
    of its plan (the supplier plans API names it)."""
    import datetime as dt

    from vinculo.analytics.demand import add_months
    from vinculo.catalog import supplier_services
    from vinculo.catalog.models import Product, ProductSupplier
    from vinculo.portal import supplier_services as plans
    from vinculo.portal.models import SupplierPlan

    month = add_months(dt.date.today().replace(day=1), 1)
    with as_user(admin):
        supplier = AccountFactory(actor=admin, name="Zafiro Proveedor SA", is_supplier=True)
        link = supplier_services.product_supplier_set(
            actor=admin, product=records[Product], supplier=supplier,
            data={"supplier_code": "ZAF-1"})
        plan = plans.plan_set(actor=admin, link=link, month=month, quantity="7",
                              delivery_on=month)
    return {ProductSupplier: link, SupplierPlan: plan}


def _contracts(admin, account):
    """A contract of the account."""
    from tests.contracts.factories import ContractFactory
    from vinculo.contracts.models import Contract

    return {Contract: ContractFactory(actor=admin, account=account, name="Plan Zafiro")}


def _portal(admin, account):
    """A portal user of the secret account (staff's deactivate action names it)."""
    from tests.portal.factories import portal_user
    from vinculo.customers.models import ErasureRequest
    from vinculo.customers.services import erasure_request
    from vinculo.portal.models import PortalUser

    person = portal_user(admin, account, first_name="Zafiro")
    # staff's erasure decision names the contact's request (portal:staff_erasure)
    return {PortalUser: person,
            ErasureRequest: erasure_request(contact=person.contact, source="portal")}


def _integrations(admin):
    """A webhook subscription with a delivery, and an integration key."""
    from django.test import override_settings

    from vinculo.integrations import services
    from vinculo.integrations.models import IntegrationKey, WebhookDelivery, WebhookSubscription

    with as_user(admin), override_settings(VINCULO_WEBHOOK_ALLOW_PRIVATE=True):
        subscription, _secret = services.subscription_create(actor=admin, data={
            "name": "Zafiro", "url": "http://127.0.0.1:9/zafiro", "events": ["account.created"]})
        delivery = services.subscription_ping(actor=admin, subscription=subscription)
        key, _clear = services.integration_key_create(actor=admin, data={
            "name": "Zafiro", "scopes": {"customers": "read"}})
    return {WebhookSubscription: subscription, WebhookDelivery: delivery, IntegrationKey: key}


def _automation(admin):
    """An exception rule (a secret name: the other organisation's lists must not show it)."""
    from tests.automation.factories import rule
    from vinculo.automation.models import Rule

    return {Rule: rule(admin, name="Regla Zafiro")}


def _packages(admin):
    """A service package and a change of package (secret names)."""
    from tests.packages.test_generic import change
    from vinculo.packages.models import PackageChange, ServicePackage

    record = change(admin, admin)
    record.from_package.name = "Paquete Zafiro"
    record.from_package.save(update_fields=["name"])
    return {ServicePackage: record.from_package, PackageChange: record}


def _reports(admin):
    """A saved report (a secret name: the other organisation's lists must not show it)."""
    import datetime as dt
    from decimal import Decimal

    from tests.reports.factories import report
    from vinculo.reports import services_objectives
    from vinculo.reports.dashboards import dashboard_for
    from vinculo.reports.models import Objective, Report, Widget

    saved = report(admin, name="Informe Zafiro")
    with as_user(admin):
        objective = services_objectives.objective_create(actor=admin, data={
            "indicator": "complaints", "start": dt.date(2026, 3, 1),
            "end": dt.date(2026, 3, 31), "target": Decimal("5")})
        widget = services_objectives.widget_add(
            actor=admin, dashboard=dashboard_for(admin.organization, admin.role), report=saved)
    return {Report: saved, Objective: objective, Widget: widget}


def _loyalty(admin, account):
    """A programme with the secret account as a member (secret names)."""
    from tests.loyalty.factories import member, program
    from vinculo.loyalty.models import Member, Program

    club = program(admin, name="Club Zafiro")
    return {Program: club, Member: member(admin, club, account)}


def _segments(admin):
    """A segment (its name is a secret the other organisation's lists must not show)."""
    from tests.segments.factories import make_segment
    from vinculo.segments.models import Segment

    return {Segment: make_segment(admin, name="Segmento Zafiro", kind="static")}


def _marketing(admin):
    """A campaign and its variant (secret names, so the lists show whether they leak)."""
    from vinculo.marketing import services as marketing_services
    from vinculo.marketing.models import Campaign, CampaignVariant

    with as_user(admin):
        campaign = marketing_services.campaign_create(actor=admin, data={"name": "Zafiro"})
        variant = marketing_services.campaign_variant_create(
            actor=admin, campaign=campaign, data={"name": "B", "subject": "Zafiro",
                                                  "share": 50})
    return {Campaign: campaign, CampaignVariant: variant}


def _marketing_nextaction(admin, account):
    """A phone campaign with a call line, and a suggested action (marketing, nextaction)."""
    from tests.marketing.factories_channels import campaign, customer, recipient
    from tests.marketing.test_generic import suggestion
    from vinculo.marketing import calls
    from vinculo.marketing.models import CallAssignment, Suggestion

    camp = campaign(admin, channel="phone", name="Campaña Zafiro")
    secret, contact = customer(admin, name="Zafiro Llamada SL")
    recipient(camp, contact, secret)
    with as_user(admin):
        calls.deliver(camp)
        line = CallAssignment.objects.get(campaign=camp)
    return {Campaign: camp, CallAssignment: line, Suggestion: suggestion(admin, admin)}


def _attachments(admin, account):
    """A file and a comment on the secret account."""
    from tests.attachments.factories import attach, comment
    from vinculo.attachments.models import Comment, RecordFile

    return {RecordFile: attach(admin, account, "zafiro.pdf"),
            Comment: comment(admin, account, "Zafiro secreto")}


def _service(admin, records):
    """An interaction with an e-mail attachment, a ticket and an article."""
    from django.core.files.base import ContentFile

    from vinculo.interactions import services as interactions
    from vinculo.interactions.models import (
        Attachment,
        EmailMessage,
        Interaction,
        Thread,
        WebForm,
    )
    from vinculo.service import services as desk
    from vinculo.service.models import Article, Ticket

    QueueFactory(actor=admin)
    ticket = TicketFactory(actor=admin, subject="Incidencia Zafiro", account=records[Account])
    with as_user(admin):
        call = interactions.interaction_log(actor=admin, data={
            "channel": "phone", "contact": records[Contact], "subject": "Llamada Zafiro"},
            related=ticket)
        thread = Thread.objects.create(organization=admin.organization, subject="Secreto")
        mail = EmailMessage.objects.create(
            organization=admin.organization, interaction=call, thread=thread,
            message_id="<secret@x>", from_address="zafiro@secret.es", status="received")
        attachment = Attachment(organization=admin.organization, message=mail,
                                filename="secreto.pdf", content_type="application/pdf", size=3)
        attachment.file.save("secreto.pdf", ContentFile(b"PDF"), save=True)
        article = desk.article_create(actor=admin, data={"title": "Artículo Zafiro",
                                                      "body": "Secreto", "status": "published"})
        form = interactions.web_form_create(actor=admin, data={
            "name": "Secreto", "kind": "contact", "owner": admin})
    return {Interaction: call, Attachment: attachment, Ticket: ticket, Article: article,
            WebForm: form}


def _interactions(admin, contact):
    """A task (with a secret title, so the lists show whether it leaks)."""
    from tests.interactions.factories import TaskFactory
    from vinculo.interactions.models import Task

    return {Task: TaskFactory(actor=admin, title="Tarea Zafiro", contact=contact)}


def settings_records(admin):
    """A mailbox, an e-mail template, a web form; a business calendar with a holiday, an SLA
    policy and a queue (the settings pages and API)."""
    import datetime as dt

    from vinculo.interactions import mailing
    from vinculo.interactions import services as interaction_services
    from vinculo.interactions.models import EmailTemplate, Mailbox, WebForm
    from vinculo.service import services as service_services
    from vinculo.service.models import BusinessCalendar, Holiday, Queue, SlaPolicy

    with as_user(admin):
        mailbox = mailing.mailbox_create(actor=admin, data={
            "name": "Zafiro", "address": "buzon@secret.es"}, password="clave-secreta")
        template = mailing.email_template_create(actor=admin, data={
            "name": "Zafiro", "subject": "Hola", "body": "Secreto"})
        form = interaction_services.web_form_create(actor=admin, data={
            "name": "Zafiro", "kind": "contact", "owner": admin})
        calendar = service_services.business_calendar_create(actor=admin, data={
            "name": "Zafiro", "timezone": "Europe/Madrid",
            "weekly_hours": {"0": [["09:00", "17:00"]]}})
        holiday = service_services.holiday_create(actor=admin, calendar=calendar,
                                               date=dt.date(2027, 1, 1), name="Zafiro")
        policy = service_services.sla_policy_create(actor=admin, data={
            "name": "Zafiro", "calendar": calendar}, targets={"high": (60, 480)})
        queue = service_services.queue_create(actor=admin, data={
            "name": "Zafiro", "mailbox": mailbox}, tier_routes={"gold": admin})
        from vinculo.sales.models import LostReason
        from vinculo.sales.settings import services as sales_settings
        reason = sales_settings.lost_reason_create(actor=admin, data={"name": "Zafiro"})
        from vinculo.customers.models import Industry
        from vinculo.customers.settings import services as customer_settings
        from vinculo.service.models import TicketCategory
        industry = customer_settings.industry_create(actor=admin, data={"name": "Zafiro"})
        ticket_type = service_services.ticket_type_create(actor=admin, data={
            "name": "Zafiro", "kind": "request"})
    return {Mailbox: mailbox, EmailTemplate: template, WebForm: form,
            BusinessCalendar: calendar, Holiday: holiday, SlaPolicy: policy, Queue: queue,
            LostReason: reason, Industry: industry, TicketCategory: ticket_type}


def _documents(admin, account):
    """A pipeline and an opportunity; a quote, order, delivery, invoice, payment and return."""
    from vinculo.billing import returns as billing_returns
    from vinculo.billing import services as billing_services
    from vinculo.billing.models import Invoice, Payment, ReturnAuthorization
    from vinculo.sales import services as sales_services
    from vinculo.sales.documents import services as document_services
    from vinculo.sales.models import Delivery, Opportunity, Order, Pipeline, Quote, Stage

    with as_user(admin):
        opportunity = sales_services.opportunity_create(
            actor=admin, data={"name": "Trato secreto", "account": account})
        quote = document_services.quote_create(
            actor=admin, account=account, lines=[free_line("Secreto")])
        order = OrderFactory(actor=admin, account=account)
        delivery = DeliveryFactory(actor=admin, order=order)
        invoice = billing_services.invoice_issue(
            actor=admin, invoice=billing_services.invoice_from_order(actor=admin, order=order))
        payment = billing_services.payment_record(actor=admin, invoice=invoice, amount="1.00")
        rma = billing_returns.return_request(actor=admin, order=order, reason="Secreto",
                                              lines=[(order.lines.first(), 1)])
    return {Pipeline: opportunity.pipeline, Stage: opportunity.stage, Opportunity: opportunity,
            Quote: quote, Order: order, Delivery: delivery, Invoice: invoice, Payment: payment,
            ReturnAuthorization: rma}


def _snapshot(records: dict) -> dict:
    snap = {}
    for model, record in records.items():
        manager = getattr(model, "all_objects", model._default_manager)
        row = manager.filter(pk=record.pk).values().first()
        snap[model] = row
    return snap


@pytest.mark.django_db
def test_other_organisation_gets_404_everywhere(org_a_records, other_admin, client):
    api = token_client(other_admin)
    client.force_login(other_admin)
    before = _snapshot(org_a_records)
    checked = 0
    for route, pattern in walk():
        if not UUID_KWARG.search(route):
            continue
        if is_public(pattern):
            continue  # anyone may reach it by design: tests/interactions/test_web_forms.py
        model = view_model(pattern)
        assert model in org_a_records, f"no org-A record to probe {route} (model {model})"
        url = concrete(route, str(org_a_records[model].uuid))
        is_api = route.startswith("api/")
        methods = ("get", "put", "patch", "delete", "post") if is_api else ("get", "post")
        for method in methods:
            if is_api:
                response = getattr(api, method)(url, {"version": 1}, format="json")
            else:
                response = getattr(client, method)(url)
            assert response.status_code in (404, 405), (method.upper(), url, response.status_code)
            checked += 1
    assert checked >= 40
    assert _snapshot(org_a_records) == before


SECRETS = ("Zafiro", "Xiomara", "Yeray", "zafiro@secret.es", "xiomara@secret.es")


@pytest.mark.django_db
def test_other_organisation_lists_and_search_never_show_foreign_rows(
    org_a_records, other_admin, client
):
    api = token_client(other_admin)
    client.force_login(other_admin)
    ContactFactory(
        actor=other_admin, first_name="Xiomara", last_name="Propia", email="xiomara@globex.mx"
    )
    lists = 0
    for route, pattern in walk():
        if UUID_KWARG.search(route) or "<" in route or "(?P" in route:
            continue
        if pattern.name in ("logout", "set_language", "schema", "api-docs"):
            continue
        url = concrete(route, "")
        for query in ("", "?q=Xiomara", "?search=Xiomara", "?q=secret.es"):
            response = (api if route.startswith("api/") else client).get(url + query)
            if response.status_code != 200:
                continue
            raw = (b"".join(response.streaming_content) if response.streaming
                   else response.content)
            body = raw.decode("utf-8", "replace")
            for secret in ("Secreta", "Zafiro", "Yeray", "zafiro@secret.es", "xiomara@secret.es"):
                assert secret not in body, (url + query, secret)
            lists += 1
    assert lists >= 20
    # and the other org's own record is found: the search works, it is just scoped
    assert "Propia" in client.get("/search/?q=Xiomara").content.decode()


@pytest.mark.django_db
def test_unscoped_read_fails_closed(org_a_records):
    with pytest.raises(ScopeError):
        list(Contact.objects.all())
    with pytest.raises(ScopeError):
        Account.objects.filter(name__startswith="Z").count()


@pytest.mark.django_db
def test_anonymous_requests_are_refused(org_a_records, client):
    contact = org_a_records[Contact]
    assert client.get(f"/api/contacts/{contact.uuid}/").status_code in (401, 403)
    response = client.get(f"/customers/contacts/{contact.uuid}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_an_api_error_does_not_leave_the_organisation_in_scope(admin):
    """An exception DRF does not turn into a response still closes the caller's scope."""
    from rest_framework.test import APIRequestFactory, force_authenticate

    from vinculo.core.api_base import TenantViewSet

    class Broken(TenantViewSet):
        queryset = Contact.objects.none()

        def list(self, request):  # type: ignore[no-untyped-def]
            assert Contact.objects.count() == 0  # inside the scope: allowed
            raise RuntimeError("a bug in a view")

    request = APIRequestFactory().get("/broken/")
    force_authenticate(request, user=admin)
    with pytest.raises(RuntimeError):
        Broken.as_view({"get": "list"})(request)
    with pytest.raises(ScopeError):
        list(Contact.objects.all())
