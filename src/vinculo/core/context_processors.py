"""What every page's template gets: the menu and the user's permissions, both from the apps'
contracts (``core.plugins``), filtered by the user's role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from vinculo.core import plugins
from vinculo.core.roles import role_has


class Grants:
    """``{% if can.customers.import %}``: whether the user's role holds ``customers.import``."""

    def __init__(self, role: str | None, domain: str = "") -> None:
        self._role, self._domain = role, domain

    def __getitem__(self, name: str) -> Any:
        if not self._domain:
            return Grants(self._role, name)
        return role_has(self._role, f"{self._domain}.{name}")


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    header: str = ""
    divider: bool = False  # a divider before it: it opens a new section


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str
    url: str = ""  # a single link
    links: tuple[Link, ...] = ()


def _menu(role: str | None) -> list[MenuEntry]:
    def allowed(permission: str | None) -> bool:
        return permission is None or role_has(role, permission)

    entries = []
    for menu, items in plugins.menus():
        if not allowed(menu.permission):
            continue
        if menu.url:
            entries.append(MenuEntry(menu.key, str(menu.label), reverse(menu.url)))
            continue
        links: list[Link] = []
        section = None
        for item in items:
            if not allowed(item.permission):
                continue
            url = reverse(item.url) + (f"?{item.query}" if item.query else "")
            opens = section is not None and item.section != section
            header = str(item.header) if item.header and item.section != section else ""
            links.append(Link(str(item.label), url, header, opens))
            section = item.section
        if links:
            entries.append(MenuEntry(menu.key, str(menu.label), links=tuple(links)))
    return entries


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    return {"can": Grants(role), "menu": _menu(role) if role is not None else []}
