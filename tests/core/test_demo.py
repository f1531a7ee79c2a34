"""``vinculo demo``: users for every role, realistic and valid data, determinism, reset."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from stdnum.es import nif
from stdnum.gb import vat
from stdnum.us import ein

from vinculo.core import demo as core_demo
from vinculo.core.models import SERVICE_ACCOUNT_DOMAIN, AuditEntry, Organization, Tag, User
from vinculo.core.roles import Role
from vinculo.core.tenancy import organization_scope
from vinculo.customers import normalize, services
from vinculo.customers.models import (
    Account,
    AccountContact,
    Channel,
    Consent,
    Contact,
    Lead,
    LeadStatus,
    LifecycleStage,
)
from vinculo.interactions.models import WebFormSubmission

N = 300
# What the services store in ``search_text`` (renamed from ``_search_text``).
SEARCH_TEXT_FOR = getattr(services, "search_text_for", None) or services._search_text
LOGIN = re.compile(r"^Log in at http://127\.0\.0\.1:8000 as (\S+@\S+) / (\S+)$")


def run_demo(*args: str, customers: int = N, seed: int = 7) -> list[str]:
    out = io.StringIO()
    call_command("demo", "--customers", str(customers), "--seed", str(seed), "--no-progress",
                 *args, stdout=out)
    return out.getvalue().strip().splitlines()


def login_of(lines: list[str]) -> tuple[str, str]:
    match = LOGIN.match(lines[-1])
    assert match, lines[-1]
    return match.group(1), match.group(2)


@pytest.fixture
def demo_lines(db) -> list[str]:
    return run_demo()


@pytest.fixture
def demo_org(demo_lines) -> Organization:
    return Organization.objects.get(name=core_demo.DEFAULT_ORG_NAME)


def log_in(client, email: str, password: str) -> bool:
    response = client.post("/login/", {"username": email, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


# ---- organisation and users -------------------------------------------------------------------


def test_last_line_names_the_admin_and_a_password_that_logs_in(demo_lines, demo_org, client):
    email, password = login_of(demo_lines)
    assert email == "admin@demo.vinculo.test"
    admin = User.objects.get(email=email)
    assert admin.role == Role.ADMIN and admin.organization == demo_org
    assert log_in(client, email, password)
    assert client.get("/customers/contacts/").status_code == 200


def test_a_user_for_every_role_and_each_logs_in(demo_lines, demo_org, client):
    _email, password = login_of(demo_lines)
    # staff, not the inactive service accounts (the demo's portal user acts through one)
    users = list(User.objects.filter(organization=demo_org).exclude(
        email__endswith=f"@{SERVICE_ACCOUNT_DOMAIN}"))
    assert {u.role for u in users} == set(Role.values)
    reps = sorted(u.team.name for u in users if u.role == Role.SALES_REP)
    assert reps == ["Norte", "Sur"]
    for user in users:
        assert f"Password: {password}" in demo_lines
        assert user.email in "\n".join(demo_lines)
        client.logout()
        assert log_in(client, user.email, password), user.email


def test_running_twice_refuses_without_reset(demo_lines):
    with pytest.raises(CommandError, match="already exists; use --org OTHER or --reset"):
        run_demo()


def test_reset_replaces_the_data_and_keeps_other_organisations(demo_lines, demo_org,
                                                                 other_admin, client):
    with organization_scope(other_admin.organization):
        from vinculo.core.audit import acting_as

        with acting_as(other_admin):
            kept = services.contact_create(actor=other_admin, data={"first_name": "Keep",
                                                                    "last_name": "Me"})
    old_uuids = set(Contact.all_objects.filter(organization=demo_org)
                    .values_list("uuid", flat=True))
    old_email, old_password = login_of(demo_lines)
    lines = run_demo("--reset")
    new_org = Organization.objects.get(name=core_demo.DEFAULT_ORG_NAME)
    assert new_org.pk != demo_org.pk
    assert not Organization.objects.filter(pk=demo_org.pk).exists()
    assert Contact.all_objects.filter(organization_id=demo_org.pk).count() == 0
    assert Contact.all_objects.filter(organization=new_org).count() == N
    assert not old_uuids & set(Contact.all_objects.values_list("uuid", flat=True))
    assert Contact.all_objects.get(pk=kept.pk).organization == other_admin.organization
    assert User.objects.get(pk=other_admin.pk)
    email, password = login_of(lines)
    assert email == old_email
    if password != old_password:
        assert not log_in(client, email, old_password)
    assert log_in(client, email, password)


def test_another_organisation_name_gets_its_own_users(demo_lines):
    lines = run_demo("--org", "Second Demo")
    email, _password = login_of(lines)
    assert email == "admin@second-demo.demo.vinculo.test"
    assert Contact.all_objects.filter(organization__name="Second Demo").count() == N


# ---- the data ---------------------------------------------------------------------------------


def test_data_belongs_to_the_demo_organisation_only(other_admin, db):
    other = other_admin.organization
    run_demo()
    org = Organization.objects.get(name=core_demo.DEFAULT_ORG_NAME)
    accounts, leads, _persons = __import__("vinculo.customers.demo", fromlist=["sizes"]).sizes(N)
    # the web-form campaign's submissions to the contact form are leads too
    leads += WebFormSubmission.all_objects.filter(organization=org).count()
    for model, expected in ((Contact, N), (Account, accounts), (Lead, leads)):
        assert model.all_objects.filter(organization=org).count() == expected
        assert model.all_objects.exclude(organization=org).count() == 0
        with organization_scope(other):
            assert model.objects.count() == 0
        with organization_scope(org):
            assert model.objects.count() == expected
    # Every relation stays inside the organisation.
    assert not AccountContact.all_objects.exclude(organization=org).exists()
    assert not AccountContact.all_objects.exclude(account__organization=org).exists()
    assert not AccountContact.all_objects.exclude(contact__organization=org).exists()
    assert not Consent.all_objects.exclude(contact__organization=org).exists()
    tags = Contact.tags.through.objects.all()
    assert tags.exists() and not tags.exclude(tag__organization=org).exists()
    users = set(User.objects.filter(organization=org).values_list("pk", flat=True))
    for model in (Contact, Account, Lead):
        owners = set(model.all_objects.values_list("owner_id", flat=True))
        assert owners <= users
    # Bulk demo rows are "system" data: the audit log covers what happens afterwards. (The
    # small catalogue goes through the services, so it is audited like any other change.)
    # Only the web-form campaign's leads, made by the public form's service, are audited.
    audited = AuditEntry.all_objects.filter(organization=org, object_type__startswith="customers.")
    assert set(audited.values_list("object_type", "action")) <= {("customers.lead", "create")}
    assert audited.count() == WebFormSubmission.all_objects.filter(organization=org).count()


def test_phones_are_valid_e164(demo_org):
    numbers = []
    for model, fields in ((Contact, ("phone", "mobile")), (Account, ("phone",)),
                          (Lead, ("phone",))):
        for row in model.all_objects.filter(organization=demo_org).values_list(*fields):
            numbers.extend(p for p in row if p)
    assert len(numbers) > N
    prefixes = Counter(p[:3] for p in numbers)
    assert prefixes["+34"] and prefixes["+44"] and sum(v for k, v in prefixes.items()
                                                       if k.startswith("+1"))
    for number in numbers:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


def test_tax_ids_validate_and_are_in_canonical_form(demo_org):
    validators = {"ES": nif.is_valid, "GB": vat.is_valid, "US": ein.is_valid}
    accounts = Account.all_objects.filter(organization=demo_org).exclude(tax_id="")
    seen = Counter()
    for account in accounts:
        assert validators[account.billing_country](account.tax_id), account.tax_id
        assert normalize.normalize_tax_id(account.tax_id,
                                          country=account.billing_country) == account.tax_id
        seen[(account.billing_country, account.is_person)] += 1
    assert seen[("ES", False)] and seen[("ES", True)] and seen[("GB", False)]
    for lead in Lead.all_objects.filter(organization=demo_org).exclude(tax_id=""):
        assert any(check(lead.tax_id) for check in validators.values()), lead.tax_id
    # the company itself: Spanish hours and the fiscal data its quotes and invoices print
    assert demo_org.time_zone == "Europe/Madrid" and demo_org.city == "Madrid"
    assert nif.is_valid(demo_org.tax_id) and demo_org.legal_name.endswith("S.L.")


def test_rows_are_what_the_services_would_write(demo_org):
    """search_text, full_name and e-mails equal the services' canonical forms."""
    checked = 0
    for model in (Account, Contact, Lead):
        for record in model.all_objects.filter(organization=demo_org):
            assert record.search_text == SEARCH_TEXT_FOR(record), record
            if hasattr(record, "full_name"):
                assert record.full_name == normalize.full_name(record.first_name,
                                                               record.last_name)
            if record.email:
                assert normalize.normalize_email(record.email) == record.email
            record.full_clean(exclude=["organization", "owner", "team", "tags", "accounts",
                                       "merged_into", "converted_account",
                                       "converted_contact"],
                              validate_unique=False, validate_constraints=False)
            checked += 1
    assert checked > N
    # Spanish and English people are both there, accents included.
    names = " ".join(Contact.all_objects.filter(organization=demo_org)
                     .values_list("full_name", flat=True))
    assert re.search(r"[áéíóúñÁÉÍÓÚÑ]", names)
    assert any(w in names for w in ("Smith", "Jones", "Williams", "Taylor", "Brown"))


def test_the_records_are_varied_and_linked(demo_org):
    org = demo_org
    leads = Lead.all_objects.filter(organization=org)
    assert set(leads.values_list("status", flat=True)) == set(LeadStatus.values)
    for lead in leads.filter(status=LeadStatus.CONVERTED):
        assert lead.converted_account.organization == org
        assert lead.converted_contact.organization == org
        assert lead.converted_at is not None
    assert not leads.exclude(status=LeadStatus.CONVERTED).filter(
        converted_account__isnull=False).exists()
    contacts = Contact.all_objects.filter(organization=org)
    assert set(contacts.values_list("lifecycle_stage", flat=True)) == set(LifecycleStage.values)
    consents = Consent.all_objects.filter(organization=org)
    assert set(consents.values_list("channel", flat=True)) == set(Channel.values)
    assert set(consents.values_list("granted", flat=True)) == {True, False}
    accounts = Account.all_objects.filter(organization=org)
    assert accounts.filter(is_person=True).exists() and accounts.filter(is_person=False).exists()
    # A private person is the one contact of their own account.
    for person in accounts.filter(is_person=True)[:20]:
        (link,) = AccountContact.all_objects.filter(account=person)
        assert link.is_primary and link.contact.full_name == person.name
    linked = AccountContact.all_objects.filter(organization=org)
    assert linked.values("contact").distinct().count() > N * 0.8
    assert linked.exclude(role="").count() == linked.count()
    # Each company with contacts has exactly one primary contact.
    primaries = Counter(linked.filter(is_primary=True).values_list("account_id", flat=True))
    assert set(primaries.values()) == {1}
    assert set(primaries) == set(linked.values_list("account_id", flat=True))
    # Owners are the reps and the manager; the team follows the owner.
    owners = {u.pk: u for u in User.objects.filter(organization=org)}
    roles = Counter(owners[o].role for o in contacts.values_list("owner_id", flat=True))
    assert set(roles) == {Role.SALES_REP, Role.SALES_MANAGER}
    for owner_id, team_id in contacts.values_list("owner_id", "team_id"):
        assert owners[owner_id].team_id == team_id
    assert Tag.all_objects.filter(organization=org).count() >= 10
    assert Contact.tags.through.objects.filter(contact__organization=org).exists()
    # The admin sees it all through the pages' and the API's scoped managers.
    with organization_scope(org):
        assert Contact.objects.filter(accounts__isnull=False).exists()


def _content(org: Organization) -> list[tuple]:
    with organization_scope(org):
        return _scoped_content(org)


def _scoped_content(org: Organization) -> list[tuple]:
    local = {u.pk: u.email.split("@")[0] for u in User.objects.filter(organization=org)}
    contacts = Contact.all_objects.filter(organization=org).order_by("id")
    rows = [
        (c.full_name, c.email, c.phone, c.mobile, c.title, c.lifecycle_stage, c.source,
         local[c.owner_id], c.search_text,
         tuple(sorted(t.name for t in c.tags.all())),
         tuple(sorted((m.account.name, m.role, m.is_primary) for m in c.memberships.all())),
         tuple(sorted((x.channel, x.granted, x.source) for x in c.consents.all())))
        for c in contacts.prefetch_related("tags", "memberships__account", "consents")
    ]
    rows += list(Account.all_objects.filter(organization=org).order_by("id").values_list(
        "name", "tax_id", "email", "phone", "billing_city", "billing_postal_code", "industry"))
    # the customers generator's leads, written first; the web-form campaign's come from
    # whoever its control-group draw (seeded by the campaign's random key, as in production)
    # left in the invited arm
    bulk_leads = __import__("vinculo.customers.demo", fromlist=["sizes"]).sizes(
        Contact.all_objects.filter(organization=org).count())[1]
    rows += list(Lead.all_objects.filter(organization=org).order_by("id").values_list(
        "full_name", "company_name", "tax_id", "email", "status", "score", "notes")[:bulk_leads])
    return rows


def test_same_seed_gives_the_same_data_and_another_seed_does_not(db):
    run_demo("--org", "Seed A", customers=120, seed=11)
    run_demo("--org", "Seed B", customers=120, seed=11)
    run_demo("--org", "Seed C", customers=120, seed=12)
    a, b, c = (_content(Organization.objects.get(name=n)) for n in ("Seed A", "Seed B", "Seed C"))
    assert a == b
    assert a != c
    assert len(a) == 120 + 40 + 24


def test_zero_customers_still_makes_the_users(db):
    lines = run_demo(customers=0)
    email, _ = login_of(lines)
    org = Organization.objects.get(name=core_demo.DEFAULT_ORG_NAME)
    assert Contact.all_objects.filter(organization=org).count() == 0
    assert User.objects.get(email=email).organization == org


# ---- the bulk loader ---------------------------------------------------------------------------


def _indexes() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE tablename LIKE "
                           "'customers_%%'")
        else:
            cursor.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' "
                           "AND tbl_name LIKE 'customers_%%' AND sql IS NOT NULL")
        return set(cursor.fetchall())


def test_deferred_indexes_come_back_after_a_large_load(db, monkeypatch):
    # PostgreSQL drops and rebuilds them around a large load; SQLite keeps them throughout.
    before = _indexes()
    assert len(before) >= 10
    monkeypatch.setattr(core_demo, "DEFER_INDEXES_FROM", 0)
    run_demo(customers=60)
    assert _indexes() == before
    if connection.vendor == "postgresql":
        assert any("gin_trgm_ops" in definition for _table, definition in before)


def test_a_generator_after_a_large_load_finds_the_indexes_back(db, monkeypatch):
    """The generators after the customers' bulk load query through the services (a campaign
    builds its audience with a subquery per contact): the indexes dropped for the load must
    be back by then, not only at the end."""
    before = _indexes()
    monkeypatch.setattr(core_demo, "DEFER_INDEXES_FROM", 0)
    seen = []

    def later(ctx):
        seen.append(_indexes())
        return {}

    declared = core_demo.generators()
    monkeypatch.setattr(core_demo, "generators", lambda: sorted(
        [*declared, core_demo.DemoGenerator("later", 120, later, lambda n: 0)],
        key=lambda g: g.order))
    run_demo(customers=60)
    assert seen == [before]


def test_a_failed_large_load_leaves_nothing_behind(db, monkeypatch):
    before = _indexes()
    monkeypatch.setattr(core_demo, "DEFER_INDEXES_FROM", 0)

    def broken(ctx):
        raise RuntimeError("boom")

    declared = core_demo.generators()
    monkeypatch.setattr(core_demo, "generators", lambda: [
        *declared, core_demo.DemoGenerator("zz-broken", 999, broken, lambda n: 0)])
    with pytest.raises(RuntimeError, match="boom"):
        run_demo(customers=60)
    assert not Organization.objects.filter(name=core_demo.DEFAULT_ORG_NAME).exists()
    assert _indexes() == before


def test_the_registry_runs_generators_in_order(db, monkeypatch):
    seen = []

    def later(ctx):
        seen.append(ctx.shared["customers"]["contact_ids"])
        return {"later rows": 0}

    declared = core_demo.generators()
    monkeypatch.setattr(core_demo, "generators", lambda: sorted(
        [*declared, core_demo.DemoGenerator("later", 500, later, lambda n: 0)],
        key=lambda g: g.order))
    lines = run_demo(customers=30)
    (first, stop), = seen
    assert stop - first == 30
    assert Contact.all_objects.filter(pk__gte=first, pk__lt=stop).count() == 30
    assert any("0 later rows" in line for line in lines)


def test_on_a_fresh_data_directory_it_migrates_and_names_the_address_serve_listens_on(
        tmp_path):
    """The real command on an empty SQLite data dir (no ``migrate`` first), with the port
    ``vinculo serve`` would take from the environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "VINCULO_ENV", "SECRET_KEY", "ALLOWED_HOSTS",
                        "VINCULO_HOST", "VINCULO_SITE_URL")}
    env.update(VINCULO_DATA_DIR=str(tmp_path), PORT="8765")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("vinculo")), "demo", "--customers", "30",
         "--no-progress"],
        env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert re.match(r"^Log in at http://127\.0\.0\.1:8765 as admin@demo\.vinculo\.test / \S+$",
                    last), last


def test_demo_tickets_have_the_organisations_type_of_their_kind(demo_org):
    from django.db.models import F

    from vinculo.service.models import Ticket

    tickets = Ticket.all_objects.filter(organization=demo_org)
    assert tickets.exists()
    assert not tickets.filter(ticket_type__isnull=True).exists()
    assert not tickets.exclude(ticket_type__kind=F("type")).exists()


# ---- the organisation's language ----------------------------------------------------------


def test_the_demo_speaks_its_country_language_unless_told(db):
    from vinculo.interactions.models import Task, WebForm

    run_demo(customers=60)  # Spain: Spanish, whatever the install's LANGUAGE_CODE
    spain = Organization.objects.get(name=core_demo.DEFAULT_ORG_NAME)
    assert spain.language == "es"
    run_demo("--org", "English Demo", "--language", "en", customers=60)
    english = Organization.objects.get(name="English Demo")
    assert english.language == "en" and english.country == "ES"
    run_demo("--org", "US Demo", "--country", "US", customers=30)
    assert Organization.objects.get(name="US Demo").language == "en"
    # the team's own texts follow it
    with organization_scope(spain):
        assert WebForm.objects.filter(name="Contacto").exists()
        assert Task.objects.filter(title="Enviar el presupuesto revisado").exists()
    with organization_scope(english):
        assert WebForm.objects.filter(name="Contact us").exists()
        assert Task.objects.filter(title="Send the revised quote").exists()
        assert not Task.objects.filter(title="Enviar el presupuesto revisado").exists()


def test_an_unknown_language_is_refused_naming_it(db):
    with pytest.raises(CommandError, match="Unknown language fr"):
        run_demo("--language", "fr", customers=10)
    assert not Organization.objects.filter(name=core_demo.DEFAULT_ORG_NAME).exists()
