"""Merge fields in e-mail templates: ``{{ contact.first_name }}``, ``{{ ticket.number }}``…

Templates are Django templates rendered by an engine with no loaders and no libraries, over
plain dictionaries built by the merge-field sources that the apps contribute through their
contracts (``interactions.extensions.MERGE_FIELDS``); only variables and ``{% if %}`` are
allowed, and an unknown merge field is refused when the template is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Node, TextNode, VariableNode
from django.template.defaulttags import IfNode
from django.utils.translation import gettext as _

from vinculo.core import plugins
from vinculo.interactions.extensions import MERGE_FIELDS, MergeFields

# A template engine that can read no file and load no library: merge fields only.
_ENGINE = Engine(loaders=[], libraries={}, autoescape=False)


def _sources() -> list[MergeFields]:
    return plugins.contributions(MERGE_FIELDS)


def _attrs(obj: Any, fields: Iterable[str]) -> dict[str, str]:
    return {f: str(getattr(obj, f, "") or "") for f in fields}


CONTACT_FIELDS = ("first_name", "last_name", "full_name", "email", "title")
ACCOUNT_FIELDS = ("name", "email", "phone")
USER_FIELDS = ("first_name", "last_name", "full_name", "email")


def contact_values(objects: dict[str, Any]) -> dict[str, str] | None:
    contact = objects.get("contact")
    return _attrs(contact, CONTACT_FIELDS) if contact else None


def account_values(objects: dict[str, Any]) -> dict[str, str] | None:
    account = objects.get("account")
    return _attrs(account, ACCOUNT_FIELDS) if account else None


def user_values(objects: dict[str, Any]) -> dict[str, str] | None:
    user = objects.get("user")
    if not user:
        return None
    return {"first_name": user.first_name, "last_name": user.last_name,
            "full_name": user.get_full_name() or user.email, "email": user.email}


def organization_values(objects: dict[str, Any]) -> dict[str, str] | None:
    organization = objects.get("organization")
    return {"name": organization.name} if organization else None


def merge_fields() -> dict[str, tuple[str, ...]]:
    """name -> its fields, for the template editor and the API."""
    return {source.name: source.fields for source in _sources()}


def template_check(text: str, *, field_name: str) -> None:
    """Refuse a template that does not parse or names an unknown merge field."""
    try:
        template = _ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        raise ValidationError({field_name: _("The template has an error: %(error)s")
                               % {"error": exc}}) from None
    allowed = (TextNode, VariableNode, IfNode)
    for node in template.nodelist.get_nodes_by_type(Node):
        if not isinstance(node, allowed):
            raise ValidationError({field_name: _("The template has an error: only merge "
                                                 "fields and {% if %} may be used.")})
    for node in template.nodelist.get_nodes_by_type(TextNode):
        for opening, closing in (("{{", "}}"), ("{%", "%}")):
            if opening in node.s:  # the lexer leaves an unclosed tag as text
                raise ValidationError({field_name: _(
                    "The template has an error: %(opening)s without %(closing)s.") % {
                    "opening": opening, "closing": closing}})
    known = merge_fields()
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        var = getattr(node.filter_expression, "var", None)
        lookups = getattr(var, "lookups", None)
        if not lookups:
            continue
        name = ".".join(lookups)
        if lookups[0] not in known or (len(lookups) > 1 and lookups[1] not in known[lookups[0]]) \
                or len(lookups) != 2:
            raise ValidationError({field_name: _("Unknown merge field {{ %(name)s }}. "
                                                 "Available: %(available)s.") % {
                "name": name,
                "available": ", ".join(f"{k}.{f}" for k, fs in known.items() for f in fs)}})


def merge_values(objects: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The merge fields' values for ``objects`` (contact, account, user…)."""
    context = {}
    for source in _sources():
        values = plugins.resolve(source.build)(objects)
        if values is not None:
            context[source.name] = values
    return context


def merge_template(text: str) -> Callable[[dict[str, dict[str, str]]], str]:
    """``text`` parsed once by the restricted engine, for a sender that fills it for many
    recipients: call the result with :func:`merge_values`."""
    template = _ENGINE.from_string(text)
    return lambda values: template.render(Context(values, autoescape=False))


def render_merge(text: str, objects: dict[str, Any]) -> str:
    """``text`` with its merge fields filled from ``objects`` (contact, account, user…)."""
    return merge_template(text)(merge_values(objects))
