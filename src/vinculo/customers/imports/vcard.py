"""vCard (.vcf, version 3.0) for contacts, with vobject.

Export writes N, FN, EMAIL (the first preferred, then the other e-mails), TEL typed WORK,VOICE
(phone) and CELL (mobile), ORG (the contact's accounts, primary first), TITLE, LANG,
CATEGORIES (tags), UID (the contact's public id) and REV. Import reads the same properties back
into the fields a contact row of a CSV import has, so a card goes through the same cleaning,
duplicate handling and errors ("card 3, email: …") as a line of a CSV file. ORG is not imported:
accounts are matched and linked by the account import, not guessed from a card.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import vobject
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from vinculo.customers.models import Contact


def contact_card(contact: Contact) -> vobject.base.Component:
    card = vobject.vCard()
    card.add("n").value = vobject.vcard.Name(family=contact.last_name or "",
                                             given=contact.first_name or "")
    card.add("fn").value = contact.full_name or contact.email or str(contact.uuid)
    emails = [e for e in [contact.email, *(contact.other_emails or [])] if e]
    for index, email in enumerate(emails):
        prop = card.add("email")
        prop.value = email
        prop.type_paramlist = ["INTERNET", "PREF"] if index == 0 else ["INTERNET"]
    if contact.phone:
        prop = card.add("tel")
        prop.value = contact.phone
        prop.type_paramlist = ["WORK", "VOICE"]
    if contact.mobile:
        prop = card.add("tel")
        prop.value = contact.mobile
        prop.type_paramlist = ["CELL"]
    organisations = [m.account.name for m in _memberships(contact)]
    if organisations:
        card.add("org").value = [organisations[0]]
    if contact.title:
        card.add("title").value = contact.title
    if contact.preferred_language:
        card.add("lang").value = contact.preferred_language
    tags = sorted(tag.name for tag in contact.tags.all())
    if tags:
        card.add("categories").value = tags
    card.add("uid").value = str(contact.uuid)
    card.add("rev").value = contact.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return card


def _memberships(contact: Contact) -> list[Any]:
    memberships = list(contact.memberships.all())
    return sorted(memberships, key=lambda m: (not m.is_primary, m.account.name))


def contact_vcard(contact: Contact) -> str:
    return contact_card(contact).serialize()


def contacts_vcf(contacts: Iterable[Contact]) -> Iterator[str]:
    """One serialised card per contact, for a streamed .vcf of a whole list."""
    for contact in contacts:
        yield contact_card(contact).serialize()


def _types(prop: Any) -> set[str]:
    values = set()
    for value in prop.params.get("TYPE", []):
        values.update(part.strip().upper() for part in str(value).split(","))
    return values


def card_values(text: str) -> dict[str, str]:
    """The contact fields of one card as text, as a CSV row would hold them."""
    try:
        card = vobject.readOne(text)
    except Exception as exc:  # vobject raises several kinds of errors for a bad card
        raise ValidationError({"__all__": [_("This card cannot be read: %(error)s")
                                           % {"error": exc}]}) from None
    values: dict[str, str] = {}
    name = getattr(card, "n", None)
    if name is not None and isinstance(name.value, vobject.vcard.Name):
        given = " ".join(p for p in _parts(name.value.given) + _parts(name.value.additional))
        values["first_name"] = given
        values["last_name"] = " ".join(_parts(name.value.family))
    if not values.get("first_name") and not values.get("last_name"):
        formatted = getattr(card, "fn", None)
        if formatted is not None and str(formatted.value).strip():
            first, _sep, last = str(formatted.value).strip().partition(" ")
            values["first_name"], values["last_name"] = first, last
    emails = [str(p.value).strip() for p in card.contents.get("email", []) if str(p.value).strip()]
    preferred = [str(p.value).strip() for p in card.contents.get("email", [])
                 if "PREF" in _types(p) and str(p.value).strip()]
    if emails:
        first_email = preferred[0] if preferred else emails[0]
        values["email"] = first_email
        others = [e for e in emails if e != first_email]
        if others:
            values["other_emails"] = ", ".join(others)
    for prop in card.contents.get("tel", []):
        number = str(prop.value).strip()
        if not number:
            continue
        key = "mobile" if "CELL" in _types(prop) else "phone"
        values.setdefault(key, number)
    for key, prop_name in (("title", "title"), ("preferred_language", "lang")):
        prop = getattr(card, prop_name, None)
        if prop is not None and str(prop.value).strip():
            values[key] = str(prop.value).strip()
    categories = card.contents.get("categories", [])
    tags = [str(v).strip() for p in categories for v in (p.value if isinstance(p.value, list)
                                                          else [p.value]) if str(v).strip()]
    if tags:
        values["tags"] = ", ".join(tags)
    if not any(values.get(k) for k in ("first_name", "last_name", "email")):
        raise ValidationError({"first_name": [_("The card has no name and no e-mail.")]})
    return values


def _parts(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value).strip()] if value and str(value).strip() else []
