"""Reads of customer records: search, duplicate candidates, matching, the 360° view."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from vinculo.core import timeline
from vinculo.core.history import record_history_display
from vinculo.core.models import TenantModel, User
from vinculo.core.pagination import order_matches
from vinculo.customers import normalize
from vinculo.customers.models import Account, Consent, Contact, Lead

NAME_SIMILARITY_THRESHOLD = 88

_NUMBER = re.compile(r"\d+")


def name_similarity(folded_a: str, folded_b: str) -> int:
    """How alike two folded names are (0-100): the one name rule of every duplicate check
    (import, lead conversion, the record's "possible duplicates", the API).

    Names whose numbers differ are different records however alike their letters are: "Textil
    Sol 0000000 S.L." and "Textil Sol 0000001 S.L.", "Distribuciones 2000" and "Distribuciones
    3000" score 0, where a plain fuzzy ratio scores them above the threshold.
    """
    if sorted(_NUMBER.findall(folded_a)) != sorted(_NUMBER.findall(folded_b)):
        return 0
    return int(fuzz.token_sort_ratio(folded_a, folded_b))


def names_alike(folded_a: str, folded_b: str) -> int | None:
    """The similarity when it reaches the duplicate threshold, else ``None``."""
    score = name_similarity(folded_a, folded_b)
    return score if score >= NAME_SIMILARITY_THRESHOLD else None


def search(queryset: QuerySet, query: str) -> QuerySet:
    """Filter by the search box: name, e-mail or phone, accents and case ignored."""
    term = normalize.search_term(query or "")
    if not term:
        return queryset
    return queryset.filter(search_text__contains=term)


def name_block(queryset: QuerySet, folded_name: str, size: int = 6) -> QuerySet:
    """Rows whose search text starts like ``folded_name``: candidates for a name comparison.

    A range on the indexed column (``>= 'ana '`` and ``< 'ana!'``) instead of ``LIKE 'ana %'``,
    because SQLite and PostgreSQL with a non-C collation only use a b-tree for ranges.
    """
    prefix = folded_name[:size]
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    # Ordered by the indexed column, so the range is read in index order and the caller's
    # LIMIT stops it early (ordering by name made PostgreSQL walk the name index instead).
    return queryset.filter(search_text__gte=prefix, search_text__lt=upper).order_by(
        "search_text", "id")


def account_match(
    *, organization_id: int, name: str = "", tax_id: str = "", email: str = ""
) -> Account | None:
    """The existing account a new one would duplicate: same tax id, e-mail, or a close name."""
    accounts = Account.objects.filter(organization_id=organization_id)
    if tax_id:
        compact = "".join(ch for ch in tax_id.upper() if ch.isalnum())
        found = accounts.filter(tax_id__in={tax_id, compact}).first()
        if found:
            return found
    if email:
        found = accounts.filter(email=email.strip().lower()).first()
        if found:
            return found
    folded = normalize.fold(name)
    if len(folded) >= 3:
        best = None
        for candidate in name_block(accounts, folded)[:200]:
            score = names_alike(folded, normalize.fold(candidate.name))
            if score is not None and (best is None or score > best[0]):
                best = (score, candidate)
        if best:
            return best[1]
    return None


def contact_match(*, organization_id: int, email: str = "", phone: str = "") -> Contact | None:
    contacts = Contact.objects.filter(organization_id=organization_id)
    if email:
        email = email.strip().lower()
        found = contacts.filter(email=email).first()
        if found:
            return found
    if phone:
        found = contacts.filter(Q(phone=phone) | Q(mobile=phone)).first()
        if found:
            return found
    return None


def contacts_without_consent(*, organization_id: int, channel: str,
                             contacts: list[Contact] | None = None,
                             addresses: list[str] | None = None) -> list[Contact]:
    """The contacts among ``contacts`` and those whose e-mail is one of ``addresses`` who have
    not consented to ``channel``: no consent recorded, or one withdrawn (``granted=False``)."""
    ids = {c.pk for c in contacts or [] if c is not None}
    folded = sorted({a.strip().lower() for a in addresses or [] if a and a.strip()})
    query = Q(pk__in=ids)
    if folded:
        query |= Q(email__in=folded)
    found = Contact.objects.filter(query, organization_id=organization_id)
    consenting = set(Consent.objects.filter(contact__in=found, channel=channel, granted=True)
                     .values_list("contact_id", flat=True))
    return [c for c in found.order_by("full_name", "id") if c.pk not in consenting]


@dataclass
class DuplicateCandidate:
    record: Any
    reasons: list[str]
    score: int


def contact_duplicates(contact: Contact, *, limit: int = 20) -> list[DuplicateCandidate]:
    """Other contacts that are probably the same person, with why."""
    others = Contact.objects.exclude(pk=contact.pk)
    found: dict[int, DuplicateCandidate] = {}

    def add(record: Contact, reason: str, score: int) -> None:
        entry = found.setdefault(record.pk, DuplicateCandidate(record, [], 0))
        entry.reasons.append(reason)
        entry.score = max(entry.score, score)

    emails = [e for e in [contact.email, *contact.other_emails] if e]
    if emails:
        for record in others.filter(email__in=emails)[:limit]:
            add(record, "email", 100)
    phones = [p for p in (contact.phone, contact.mobile) if p]
    if phones:
        for record in others.filter(Q(phone__in=phones) | Q(mobile__in=phones))[:limit]:
            add(record, "phone", 95)
    folded = normalize.fold(contact.full_name)
    if len(folded) >= 4:
        for record in name_block(others, folded)[:500]:
            score = names_alike(folded, normalize.fold(record.full_name))
            if score is not None:
                add(record, "name", score)
    return sorted(found.values(), key=lambda c: (-c.score, c.record.pk))[:limit]


def account_duplicates(account: Account, *, limit: int = 20) -> list[DuplicateCandidate]:
    others = Account.objects.exclude(pk=account.pk)
    found: dict[int, DuplicateCandidate] = {}

    def add(record: Account, reason: str, score: int) -> None:
        entry = found.setdefault(record.pk, DuplicateCandidate(record, [], 0))
        entry.reasons.append(reason)
        entry.score = max(entry.score, score)

    if account.tax_id:
        for record in others.filter(tax_id=account.tax_id)[:limit]:
            add(record, "tax_id", 100)
    if account.email:
        for record in others.filter(email=account.email)[:limit]:
            add(record, "email", 98)
    if account.phone:
        for record in others.filter(phone=account.phone)[:limit]:
            add(record, "phone", 95)
    folded = normalize.fold(account.name)
    if len(folded) >= 4:
        for record in name_block(others, folded)[:500]:
            score = names_alike(folded, normalize.fold(record.name))
            if score is not None:
                add(record, "name", score)
    return sorted(found.values(), key=lambda c: (-c.score, c.record.pk))[:limit]


def duplicate_groups(queryset: QuerySet, *, limit: int = 50) -> list[dict[str, Any]]:
    """Sets of records sharing a normalised e-mail, phone or tax id, found with GROUP BY."""
    model = queryset.model
    keys = {"email": "email", "phone": "phone"}
    if model is Account:
        keys["tax_id"] = "tax_id"
    groups = []
    for reason, column in keys.items():
        rows = (
            queryset.exclude(**{column: ""})
            .values(column)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by("-n", column)[:limit]
        )
        for row in rows:
            records = list(
                queryset.filter(**{column: row[column]}).order_by("created_at", "id")[:10]
            )
            groups.append({"reason": reason, "value": row[column], "records": records})
    return groups[:limit]


def visible(model: type[TenantModel], user: User) -> QuerySet:
    """What ``user`` may see of ``model``: their organisation (by scope), their role's rows."""
    return model.objects.all().restrict(user)


def account_360(account: Account) -> dict[str, Any]:
    contacts = account.memberships.select_related("contact").order_by(
        "-is_primary", "contact__full_name"
    )
    return {
        "memberships": list(contacts[:50]),
        "leads": list(Lead.objects.filter(converted_account=account)[:20]),
        "history": record_history_display(account),
        "timeline": timeline.for_record(account),
        "duplicates": account_duplicates(account, limit=5),
    }


def contact_360(contact: Contact) -> dict[str, Any]:
    return {
        "memberships": list(contact.memberships.select_related("account")[:50]),
        "consents": list(contact.consents.all()),
        "leads": list(Lead.objects.filter(converted_contact=contact)[:20]),
        "history": record_history_display(contact),
        "timeline": timeline.for_record(contact),
        "duplicates": contact_duplicates(contact, limit=5),
    }


def search_accounts(user: User, query: str, limit: int) -> list[Account]:
    """Accounts for the global search box (``Contract.search``)."""
    return list(order_matches(search(visible(Account, user), query), ["name", "id"])[:limit])


def search_contacts(user: User, query: str, limit: int) -> list[Contact]:
    return list(order_matches(search(visible(Contact, user), query),
                              ["full_name", "id"])[:limit])


def search_leads(user: User, query: str, limit: int) -> list[Lead]:
    return list(order_matches(search(visible(Lead, user), query),
                              ["-created_at", "-id"])[:limit])


# ---- home-page panels (``Contract.home_panels``): the newest records, never a count (a count
# costs a scan on large tables) ----------------------------------------------------------------


def _newest(model: type, user: User, title: Any, detail: str, empty: tuple[Any, str, Any],
            **filters: Any) -> dict[str, Any]:
    """``empty``: what to do when there is nothing (a sentence, a URL name, its link text)."""
    rows = visible(model, user).filter(**filters).order_by("-created_at", "-id")[:5]
    return {"title": title, "records": list(rows), "detail_url": detail,
            "empty": empty[0], "empty_url": empty[1], "empty_link": empty[2]}


def home_my_leads(user: User) -> dict[str, Any]:
    return _newest(Lead, user, _("My open leads"), "customers:lead_detail",
                   (_("No open leads of yours: web forms and imports bring new ones."),
                    "customers:lead_create", _("Add a lead")),
                   owner=user, status__in=["new", "contacted"])


def home_new_accounts(user: User) -> dict[str, Any]:
    return _newest(Account, user, _("New accounts"), "customers:account_detail",
                   (_("No accounts yet."), "customers:import_start", _("Import customers")))


def home_new_contacts(user: User) -> dict[str, Any]:
    return _newest(Contact, user, _("New contacts"), "customers:contact_detail",
                   (_("No contacts yet."), "customers:contact_create", _("Add a contact")))


def home_new_leads(user: User) -> dict[str, Any]:
    return _newest(Lead, user, _("New leads"), "customers:lead_detail",
                   (_("No leads yet."), "customers:lead_create", _("Add a lead")))
