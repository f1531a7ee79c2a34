"""Demo customers: accounts (companies and private persons), contacts, leads, consent and tags.

A mix of Spanish (60 %), British (25 %) and American (15 %) customers: names, companies,
addresses, E.164 phones that ``phonenumbers`` accepts, and valid tax ids (Spanish NIF/CIF, UK VAT,
US EIN), computed directly so that a million rows take seconds. See ``vinculo.core.demo`` for how
rows are written, and the tests that check them against the services' rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from vinculo.core.demo import DemoContext, random_moments
from vinculo.core.models import Tag
from vinculo.customers.demo_pools import (
    CHANNELS,
    CONSENT_CHANNELS,
    CONSENT_GRANTED,
    CONSENT_SOURCES,
    COUNTRY,
    EN_ACCOUNT_ROLES,
    EN_TITLES,
    ES,
    ES_ACCOUNT_ROLES,
    ES_CITIES,
    ES_INDUSTRIES,
    ES_STREETS,
    ES_TITLES,
    FREE_MAIL,
    GB,
    GB_CITIES,
    GB_STREETS,
    INDUSTRIES,
    LANGUAGE,
    LEAD_NOTES,
    LEAD_STATUS_WEIGHTS,
    LEAD_STATUSES,
    PERSON_ROLE,
    SIZES,
    SOURCE_WEIGHTS,
    SOURCES,
    STAGE_WEIGHTS,
    STAGES,
    TAGS,
    TLD,
    US,
    US_CITIES,
    US_STREETS,
    company_names,
    company_tax_ids,
    landlines,
    mobiles,
    name_pools,
    nif_persons,
    pick,
    slug,
)
from vinculo.customers.models import (
    Account,
    AccountContact,
    Consent,
    Contact,
    Lead,
    LeadStatus,
)
from vinculo.customers.normalize import fold

CHUNK = 50_000
LOCALE_WEIGHTS = (0.60, 0.25, 0.15)

def estimate(n: int) -> int:
    """Rows written for ``n`` contacts (drives the progress bar)."""
    accounts, leads = sizes(n)[:2]
    return int(n * 3.45 + accounts * 1.35 + leads * 1.23)


def sizes(n: int) -> tuple[int, int, int]:
    """(accounts, leads, private persons among the accounts) for ``n`` contacts."""
    accounts = max(1, round(n / 3)) if n else 0
    persons = min(n, round(accounts * 0.2))
    return accounts, round(n / 5), persons


# ---- the generator ------------------------------------------------------------------------------


@dataclass
class People:
    """Names of ``n`` people of the given locales, with folded forms and e-mail parts."""

    first: list[str]
    last: list[str]
    full: list[str]
    folded: list[str]
    email_local: list[str]


def people(rng: np.random.Generator, pools: dict[str, Any], locale: np.ndarray) -> People:
    n = len(locale)
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    f_first = np.empty(n, dtype=object)
    f_last = np.empty(n, dtype=object)
    s_first = np.empty(n, dtype=object)
    s_last = np.empty(n, dtype=object)
    for loc in (ES, GB, US):
        mask = locale == loc
        m = int(mask.sum())
        fp, lp = pools["first"][loc], pools["last"][loc]
        i, j = rng.integers(0, len(fp.display), m), rng.integers(0, len(lp.display), m)
        first[mask], f_first[mask], s_first[mask] = fp.display[i], fp.folded[i], fp.slugs[i]
        last[mask], f_last[mask], s_last[mask] = lp.display[j], lp.folded[j], lp.slugs[j]
    number = rng.integers(0, 1000, size=n)
    style = rng.integers(0, 4, size=n)
    locals_ = []
    for sf, sl, num, st in zip(s_first.tolist(), s_last.tolist(), number.tolist(), style.tolist(),
                               strict=True):
        if st == 0:
            locals_.append(f"{sf}.{sl}")
        elif st == 1:
            locals_.append(f"{sf}.{sl}{num}")
        elif st == 2:
            locals_.append(f"{sf[0]}{sl}{num}")
        else:
            locals_.append(f"{sf}{num}")
    first_l, last_l = first.tolist(), last.tolist()
    return People(
        first=first_l, last=last_l,
        full=[f"{a} {b}" for a, b in zip(first_l, last_l, strict=True)],
        folded=[f"{a} {b}" for a, b in zip(f_first.tolist(), f_last.tolist(), strict=True)],
        email_local=locals_,
    )


def _choice(rng: np.random.Generator, items: Any, n: int) -> list[Any]:
    arr = np.array(items, dtype=object)
    return arr[rng.integers(0, len(arr), n)].tolist()


def _by_locale(rng: np.random.Generator, locale: np.ndarray, options: tuple) -> list[Any]:
    """One random item per row from ``options[locale]`` (a tuple of tuples)."""
    out = np.empty(len(locale), dtype=object)
    for loc in (ES, GB, US):
        mask = locale == loc
        out[mask] = np.array(options[loc], dtype=object)[
            rng.integers(0, len(options[loc]), int(mask.sum()))]
    return out.tolist()


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK):
        yield start, min(n, start + CHUNK)


class Owners:
    """Owner and team of each record: the sales reps (40 % each) and the manager (20 %)."""

    def __init__(self, ctx: DemoContext) -> None:
        users = ctx.owners
        self.ids = np.array([u.pk for u in users], dtype=object)
        self.teams = np.array([u.team_id for u in users], dtype=object)
        self.weights = (0.4, 0.4, 0.2)

    def draw(self, rng: np.random.Generator, n: int) -> tuple[list[Any], list[Any]]:
        k = pick(rng, n, self.weights)
        return self.ids[k].tolist(), self.teams[k].tolist()


def _tags(ctx: DemoContext) -> list[int]:
    org = ctx.organization
    tags = Tag.all_objects.bulk_create(
        [Tag(organization=org, name=name, color=color) for name, color in TAGS])
    return [t.pk for t in tags]


def _tag_links(ctx: DemoContext, rng: np.random.Generator, first_id: int, n: int,
               tag_ids: list[int], weights: tuple[float, float, float]
               ) -> list[tuple[int, int, int]]:
    """0, 1 or 2 distinct tags per record: (organisation, record, tag) rows."""
    k = pick(rng, n, weights)
    t = len(tag_ids)
    a = rng.integers(0, t, n)
    b = (a + 1 + rng.integers(0, t - 1, n)) % t
    ids = np.asarray(tag_ids)
    org_id = ctx.organization.pk
    links = [(org_id, first_id + i, int(ids[a[i]])) for i in np.flatnonzero(k >= 1).tolist()]
    links += [(org_id, first_id + i, int(ids[b[i]])) for i in np.flatnonzero(k == 2).tolist()]
    return links


def generate(ctx: DemoContext) -> dict[str, int]:
    rng = ctx.rng("customers")
    pools = name_pools()
    n = ctx.customers
    n_accounts, n_leads, n_persons = sizes(n)
    n_companies = n_accounts - n_persons
    writer = ctx.writer
    owners = Owners(ctx)
    tag_ids = ctx.shared["tag_ids"] = _tags(ctx)
    counts = {"tags": len(tag_ids)}

    # Everything about accounts that contacts need later stays in memory (a few arrays).
    acc_locale = pick(rng, n_accounts, LOCALE_WEIGHTS)
    acc_city = np.array([rng.integers(0, len((ES_CITIES, GB_CITIES, US_CITIES)[loc]))
                         for loc in acc_locale.tolist()]) if n_accounts else np.zeros(0, int)
    acc_created = random_moments(rng, ctx.now, n_accounts, days=3 * 365)
    persons = people(rng, pools, acc_locale[n_companies:])
    acc_id0 = writer.next_id(Account)
    domains = np.empty(n_accounts, dtype=object)
    acc_owner: list[Any] = []
    acc_team: list[Any] = []
    counts["accounts"] = _accounts(ctx, rng, acc_id0, n_companies, acc_locale, acc_city,
                                   acc_created, persons, domains, owners, acc_owner, acc_team)

    # Contacts: the first ``n_persons`` are the private persons of the person accounts.
    con_id0 = writer.next_id(Contact)
    link_id0 = writer.next_id(AccountContact)
    consent_id0 = writer.next_id(Consent)
    counts.update(contacts=0, memberships=0, consents=0)
    companies_by_locale = [np.flatnonzero(acc_locale[:n_companies] == loc) for loc in (ES, GB, US)]
    seen_company = np.zeros(max(n_companies, 1), dtype=bool)
    for start, stop in _chunks(n):
        m = stop - start
        is_person = np.arange(start, stop) < n_persons
        locale = pick(rng, m, LOCALE_WEIGHTS)
        company = np.full(m, -1)
        if n_companies:
            linked = ~is_person & (rng.random(m) < 0.88)
            for loc in (ES, GB, US):
                pool = companies_by_locale[loc]
                if not len(pool):
                    pool = np.arange(n_companies)
                mask = linked & (locale == loc)
                company[mask] = pool[rng.integers(0, len(pool), int(mask.sum()))]
        person_idx = np.flatnonzero(is_person)
        locale[person_idx] = acc_locale[n_companies + start + person_idx]
        names = people(rng, pools, locale)
        # A person account and its contact are the same human being.
        for k in person_idx.tolist():
            p = start + k
            names.first[k], names.last[k] = persons.first[p], persons.last[p]
            names.full[k], names.folded[k] = persons.full[p], persons.folded[p]
            names.email_local[k] = persons.email_local[p]
        counts["contacts"] += _contacts(ctx, rng, con_id0 + start, locale, names, company,
                                        is_person, domains, owners, acc_owner, acc_team, start,
                                        n_companies)
        links = _memberships(ctx, rng, link_id0 + counts["memberships"], con_id0 + start,
                             acc_id0, n_companies, company, is_person, locale, start,
                             seen_company)
        counts["memberships"] += links
        counts["consents"] += _consents(ctx, rng, consent_id0 + counts["consents"],
                                        con_id0 + start, m)
        tags = _tag_links(ctx, rng, con_id0 + start, m, tag_ids, (0.55, 0.35, 0.10))
        counts["contact tags"] = counts.get("contact tags", 0) + writer.insert(
            Contact.tags.through, ("organization_id", "contact_id", "tag_id"), tags)
        ctx.progress.update(len(tags))

    counts["leads"] = _leads(ctx, rng, n_leads, pools, owners, tag_ids,
                             (acc_id0, n_accounts), (con_id0, n))
    counts["account tags"] = ctx.shared.pop("account tags", 0)
    counts["lead tags"] = ctx.shared.pop("lead tags", 0)
    ctx.shared["customers"] = {"account_ids": (acc_id0, acc_id0 + n_accounts),
                               "contact_ids": (con_id0, con_id0 + n)}
    return counts


ACCOUNT_COLUMNS = (
    "id", "organization_id", "uuid", "created_at", "updated_at", "version", "owner_id", "team_id",
    "custom_fields", "search_text", "name", "is_person", "tax_id", "industry", "size", "website",
    "email", "phone", "billing_street", "billing_city", "billing_postal_code", "billing_region",
    "billing_country", "shipping_street", "shipping_city", "shipping_postal_code",
    "shipping_region", "shipping_country", "lifecycle_stage", "source", "service_tier",
    "active",
    "country",
    "is_supplier",  # the portal's demo marks its supplier afterwards
)
# Service tier follows company size (no random draw, so the seeded content stays as it was).
TIER_BY_SIZE = {"250+": "gold", "50-249": "silver"}


def _accounts(ctx: DemoContext, rng: np.random.Generator, id0: int, n_companies: int,
              locale: np.ndarray, city: np.ndarray, created: np.ndarray, persons: People,
              domains: np.ndarray, owners: Owners, acc_owner: list, acc_team: list) -> int:
    writer, org_id, written = ctx.writer, ctx.organization.pk, 0
    n = len(locale)
    cities = (ES_CITIES, GB_CITIES, US_CITIES)
    industries = ES_INDUSTRIES if ctx.organization.language == "es" else INDUSTRIES
    for start, stop in _chunks(n):
        m = stop - start
        loc = locale[start:stop]
        cty = city[start:stop]
        is_person = np.arange(start, stop) >= n_companies
        names, big = company_names(rng, loc)
        tax = company_tax_ids(rng, loc, big)
        p_idx = np.flatnonzero(is_person)
        if len(p_idx):
            p_rows = p_idx + start - n_companies
            es_persons = loc[p_idx] == ES
            person_tax = np.where(es_persons, nif_persons(rng, len(p_idx)), "")
            for k, p, t in zip(p_idx.tolist(), p_rows.tolist(), person_tax.tolist(),
                               strict=True):
                names[k] = persons.full[p]
                tax[k] = t
        folded_names = [fold_company(x) for x in names.tolist()]
        for k, p in zip(p_idx.tolist(), (p_idx + start - n_companies).tolist(), strict=True):
            folded_names[k] = persons.folded[p]
        suffix = rng.integers(2, 99, m)
        plain = rng.random(m) < 0.4
        domain = [f"{company_slug(x)}{'' if pl else s}{TLD[lc]}" for x, pl, s, lc in
                  zip(names.tolist(), plain.tolist(), suffix.tolist(), loc.tolist(), strict=True)]
        free = _by_locale(rng, loc, FREE_MAIL)
        email, website = [], []
        for k in range(m):
            if is_person[k]:
                email.append(f"{persons.email_local[start + k - n_companies]}@{free[k]}")
                website.append("")
                domain[k] = free[k]
            else:
                email.append(f"info@{domain[k]}")
                website.append(f"https://www.{domain[k]}")
        domains[start:stop] = domain
        phone = np.where(is_person, mobiles(rng, loc), landlines(rng, loc, cty)).tolist()
        street_no = rng.integers(1, 200, m).tolist()
        streets = _by_locale(rng, loc, (ES_STREETS, GB_STREETS, US_STREETS))
        pc_tail = rng.integers(0, 100, m).tolist()
        letters = rng.integers(0, 26, (m, 2)).tolist()
        address = []
        for k in range(m):
            c = cities[loc[k]][cty[k]]
            if loc[k] == ES:
                street, pc = f"{streets[k]}, {street_no[k]}", f"{c[2]}{pc_tail[k] % 10:02d}"
            elif loc[k] == GB:
                a, b = letters[k]
                street = f"{street_no[k]} {streets[k]}"
                pc = f"{c[2]}{pc_tail[k] % 20 + 1} {pc_tail[k] % 9 + 1}{chr(65 + a)}{chr(65 + b)}"
            else:
                street, pc = f"{street_no[k]} {streets[k]}", f"{c[2]}{pc_tail[k]:02d}"
            address.append((street, c[0], pc, c[1], COUNTRY[loc[k]]))
        same_shipping = rng.random(m) < 0.5
        owner_ids, team_ids = owners.draw(rng, m)
        acc_owner.extend(owner_ids)
        acc_team.extend(team_ids)
        created_s = writer.timestamps(created[start:stop])
        updated_s = writer.timestamps(random_moments(rng, ctx.now, m, days=0,
                                                     after=created[start:stop]))
        stage = np.array(STAGES, dtype=object)[pick(rng, m, STAGE_WEIGHTS)].tolist()
        source = np.array(SOURCES, dtype=object)[pick(rng, m, SOURCE_WEIGHTS)].tolist()
        industry = _choice(rng, industries, m)
        size = _choice(rng, SIZES, m)
        uuids = writer.uuids(m)
        rows = []
        for k in range(m):
            person = bool(is_person[k])
            tax_id = tax[k]
            addr = address[k]
            ship = addr if same_shipping[k] else ("", "", "", "", "")
            search = " ".join(p for p in (folded_names[k], email[k], phone[k][1:],
                                          tax_id.lower()) if p)[:400]
            rows.append((
                id0 + start + k, org_id, uuids[k], created_s[k], updated_s[k], 1, owner_ids[k],
                team_ids[k], "{}", search, names[k], person, tax_id,
                "" if person else industry[k], "" if person else size[k], website[k], email[k],
                phone[k], *addr, *ship, stage[k], source[k],
                "standard" if person else TIER_BY_SIZE.get(size[k], "standard"), True,
                COUNTRY[loc[k]],  # its tax id is of that country
                False,
            ))
        written += writer.insert(Account, ACCOUNT_COLUMNS, rows)
        ctx.progress.update(m)
        tags = _tag_links(ctx, rng, id0 + start, m, ctx.shared["tag_ids"], (0.7, 0.25, 0.05))
        ctx.shared["account tags"] = ctx.shared.get("account tags", 0) + writer.insert(
            Account.tags.through, ("organization_id", "account_id", "tag_id"), tags)
        ctx.progress.update(len(tags))
    return written


@cache
def fold_company(name: str) -> str:
    return fold(name)


@cache
def company_slug(name: str) -> str:
    words = [w for w in fold(name).replace("&", " ").split()
             if w not in {"s.l.", "s.a.", "ltd", "inc.", "llc", "y", "de", "del", "la", "sons"}]
    return "-".join(slug(w) for w in words if slug(w))[:40] or "empresa"


CONTACT_COLUMNS = (
    "id", "organization_id", "uuid", "created_at", "updated_at", "version", "owner_id", "team_id",
    "custom_fields", "search_text", "first_name", "last_name", "full_name", "email",
    "other_emails", "phone", "mobile", "title", "preferred_language", "preferred_channel",
    "lifecycle_stage", "source", "active",
)


def _contacts(ctx: DemoContext, rng: np.random.Generator, id0: int, locale: np.ndarray,
              names: People, company: np.ndarray, is_person: np.ndarray, domains: np.ndarray,
              owners: Owners, acc_owner: list, acc_team: list, start: int,
              n_companies: int) -> int:
    writer, org_id = ctx.writer, ctx.organization.pk
    m = len(locale)
    free = _by_locale(rng, locale, FREE_MAIL)
    email = []
    for k in range(m):
        if is_person[k]:  # the e-mail of their person account
            domain = domains[n_companies + start + k]
        else:
            domain = domains[company[k]] if company[k] >= 0 else free[k]
        email.append(f"{names.email_local[k]}@{domain}")
    city = np.array([rng.integers(0, len((ES_CITIES, GB_CITIES, US_CITIES)[loc]))
                     for loc in locale.tolist()])
    has_phone = rng.random(m) < 0.4
    has_mobile = rng.random(m) < 0.8
    phone = np.where(has_phone, landlines(rng, locale, city), "").tolist()
    mobile = np.where(has_mobile, mobiles(rng, locale), "").tolist()
    title = np.where(company >= 0, np.array(_by_locale(rng, locale, (ES_TITLES, EN_TITLES,
                                                                      EN_TITLES)), dtype=object),
                     "").tolist()
    language = np.array(LANGUAGE, dtype=object)[locale].tolist()
    channel = _choice(rng, CHANNELS, m)
    stage = np.array(STAGES, dtype=object)[pick(rng, m, STAGE_WEIGHTS)].tolist()
    source = np.array(SOURCES, dtype=object)[pick(rng, m, SOURCE_WEIGHTS)].tolist()
    owner_ids, team_ids = owners.draw(rng, m)
    # A company's contacts mostly share its owner.
    follow = (company >= 0) & (rng.random(m) < 0.8)
    for k in np.flatnonzero(follow).tolist():
        owner_ids[k], team_ids[k] = acc_owner[company[k]], acc_team[company[k]]
    created = random_moments(rng, ctx.now, m, days=3 * 365)
    created_s = writer.timestamps(created)
    updated_s = writer.timestamps(random_moments(rng, ctx.now, m, days=0, after=created))
    uuids = writer.uuids(m)
    rows = []
    for k in range(m):
        search = " ".join(p for p in (names.folded[k], email[k], phone[k][1:], mobile[k][1:])
                          if p)[:400]
        rows.append((
            id0 + k, org_id, uuids[k], created_s[k], updated_s[k], 1, owner_ids[k], team_ids[k],
            "{}", search, names.first[k], names.last[k], names.full[k], email[k], "[]",
            phone[k], mobile[k], title[k], language[k], channel[k], stage[k], source[k], True,
        ))
    written = writer.insert(Contact, CONTACT_COLUMNS, rows)
    ctx.progress.update(m)
    return written


def _memberships(ctx: DemoContext, rng: np.random.Generator, id0: int, con_id0: int,
                 acc_id0: int, n_companies: int, company: np.ndarray, is_person: np.ndarray,
                 locale: np.ndarray, start: int, seen_company: np.ndarray) -> int:
    """Each linked contact at its company (the first one found is the primary contact);
    a person contact at its own person account; a few contacts at a second company."""
    writer, org_id = ctx.writer, ctx.organization.pk
    m = len(company)
    roles = _by_locale(rng, locale, (ES_ACCOUNT_ROLES, EN_ACCOUNT_ROLES, EN_ACCOUNT_ROLES))
    second = (company >= 0) & (rng.random(m) < 0.03) & (n_companies > 1)
    other = (company + 1 + rng.integers(0, max(n_companies - 1, 1), m)) % max(n_companies, 1)
    links: list[tuple[int, int, str, bool]] = []  # (contact offset, account id, role, primary)
    for k in range(m):
        if is_person[k]:
            links.append((k, acc_id0 + n_companies + start + k, PERSON_ROLE[locale[k]], True))
        elif company[k] >= 0:
            c = int(company[k])
            primary = not seen_company[c]
            seen_company[c] = True
            links.append((k, acc_id0 + c, roles[k], primary))
            if second[k]:
                links.append((k, acc_id0 + int(other[k]), roles[k], False))
    when = writer.timestamps(random_moments(rng, ctx.now, len(links), days=365))
    uuids = writer.uuids(len(links))
    rows = [(id0 + i, org_id, uuids[i], when[i], when[i], 1, con_id0 + k, account, role, primary)
            for i, (k, account, role, primary) in enumerate(links)]
    written = writer.insert(AccountContact, (
        "id", "organization_id", "uuid", "created_at", "updated_at", "version", "contact_id",
        "account_id", "role", "is_primary"), rows)
    ctx.progress.update(written)
    return written


def _consents(ctx: DemoContext, rng: np.random.Generator, id0: int, con_id0: int, m: int) -> int:
    writer, org_id = ctx.writer, ctx.organization.pk
    rows_of: list[tuple[int, str, bool]] = []
    for channel, share in CONSENT_CHANNELS:
        has = np.flatnonzero(rng.random(m) < share)
        granted = (rng.random(len(has)) < CONSENT_GRANTED).tolist()
        rows_of.extend(zip(has.tolist(), [channel.value] * len(has), granted, strict=True))
    count = len(rows_of)
    when = writer.timestamps(random_moments(rng, ctx.now, count, days=2 * 365))
    source = _choice(rng, CONSENT_SOURCES, count)
    uuids = writer.uuids(count)
    rows = [(id0 + i, org_id, uuids[i], when[i], when[i], 1, con_id0 + k, channel, granted,
             when[i], source[i]) for i, (k, channel, granted) in enumerate(rows_of)]
    written = writer.insert(Consent, (
        "id", "organization_id", "uuid", "created_at", "updated_at", "version", "contact_id",
        "channel", "granted", "recorded_at", "source"), rows)
    ctx.progress.update(written)
    return written


LEAD_COLUMNS = (
    "id", "organization_id", "uuid", "created_at", "updated_at", "version", "owner_id", "team_id",
    "custom_fields", "search_text", "first_name", "last_name", "full_name", "email", "phone",
    "title", "company_name", "tax_id", "website", "source", "status", "score", "notes",
    "converted_account_id", "converted_contact_id", "converted_at", "country",
)


def _leads(ctx: DemoContext, rng: np.random.Generator, n: int, pools: dict[str, Any],
           owners: Owners, tag_ids: list[int], accounts: tuple[int, int],
           contacts: tuple[int, int]) -> int:
    writer, org_id = ctx.writer, ctx.organization.pk
    id0 = writer.next_id(Lead)
    written = 0
    for start, stop in _chunks(n):
        m = stop - start
        locale = pick(rng, m, LOCALE_WEIGHTS)
        names = people(rng, pools, locale)
        has_company = rng.random(m) < 0.75
        company, big = company_names(rng, locale)
        company = np.where(has_company, company, "")
        tax = np.where(has_company & (rng.random(m) < 0.5), company_tax_ids(rng, locale, big), "")
        free = _by_locale(rng, locale, FREE_MAIL)
        email, website = [], []
        for k in range(m):
            if has_company[k]:
                domain = f"{company_slug(company[k])}{TLD[locale[k]]}"
                email.append(f"{names.email_local[k]}@{domain}")
                website.append(f"https://www.{domain}")
            else:
                email.append(f"{names.email_local[k]}@{free[k]}")
                website.append("")
        phone = np.where(rng.random(m) < 0.7, mobiles(rng, locale), "").tolist()
        title = np.where(has_company, np.array(_by_locale(rng, locale, (
            ES_TITLES, EN_TITLES, EN_TITLES)), dtype=object), "").tolist()
        status = np.array(LEAD_STATUSES, dtype=object)[pick(rng, m, LEAD_STATUS_WEIGHTS)]
        converted = status == LeadStatus.CONVERTED.value
        created = random_moments(rng, ctx.now, m, days=2 * 365)
        converted_at = random_moments(rng, ctx.now, m, days=0, after=created)
        created_s = writer.timestamps(created)
        updated_s = writer.timestamps(converted_at)
        conv_acc = (accounts[0] + rng.integers(0, max(accounts[1], 1), m)).tolist()
        conv_con = (contacts[0] + rng.integers(0, max(contacts[1], 1), m)).tolist()
        score = rng.integers(0, 101, m).tolist()
        notes = _choice(rng, LEAD_NOTES, m)
        source = np.array(SOURCES, dtype=object)[pick(rng, m, SOURCE_WEIGHTS)].tolist()
        owner_ids, team_ids = owners.draw(rng, m)
        uuids = writer.uuids(m)
        can_convert = accounts[1] > 0 and contacts[1] > 0
        status_l, company_l, tax_l = status.tolist(), company.tolist(), tax.tolist()
        rows = []
        for k in range(m):
            conv = bool(converted[k]) and can_convert
            search = " ".join(p for p in (names.folded[k], fold_company(company_l[k])
                                          if company_l[k] else "", email[k], phone[k][1:]) if p)
            rows.append((
                id0 + start + k, org_id, uuids[k], created_s[k], updated_s[k], 1, owner_ids[k],
                team_ids[k], "{}", search[:400], names.first[k], names.last[k], names.full[k],
                email[k], phone[k], title[k], company_l[k], tax_l[k], website[k], source[k],
                status_l[k] if conv or not converted[k] else LeadStatus.QUALIFIED.value,
                score[k], notes[k], conv_acc[k] if conv else None,
                conv_con[k] if conv else None, updated_s[k] if conv else None,
                COUNTRY[locale[k]],
            ))
        written += writer.insert(Lead, LEAD_COLUMNS, rows)
        ctx.progress.update(m)
        tags = _tag_links(ctx, rng, id0 + start, m, tag_ids, (0.8, 0.17, 0.03))
        ctx.shared["lead tags"] = ctx.shared.get("lead tags", 0) + writer.insert(
            Lead.tags.through, ("organization_id", "lead_id", "tag_id"), tags)
        ctx.progress.update(len(tags))
    return written
