"""Where a webhook may be sent: no server-side request forgery into the company's network.

A target's host is resolved and **every** address checked: loopback, private, link-local,
shared (CGNAT), multicast, reserved and unspecified addresses are refused, IPv4-mapped IPv6
included, unless ``VINCULO_WEBHOOK_ALLOW_PRIVATE`` is set (an administrator's setting, for a
receiver on the company's own network). The check runs when a subscription is saved (an error
naming ``url``) and again when each connection is opened, on the address actually connected
to (:class:`GuardedAdapter`), so a name that changes its answer (DNS rebinding) gains nothing;
redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from requests.adapters import HTTPAdapter
from urllib3 import connection as u3connection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

#: The kinds of address refused, as the error names them.
KINDS = {"loopback": gettext_lazy("loopback"), "link-local": gettext_lazy("link-local"),
         "private": gettext_lazy("private"), "multicast": gettext_lazy("multicast"),
         "unspecified": gettext_lazy("unspecified"), "reserved": gettext_lazy("reserved"),
         "not public": gettext_lazy("non-public")}


class RefusedTarget(Exception):
    """A URL whose host is, or resolves to, an address webhooks may not reach."""


def private_allowed() -> bool:
    return bool(getattr(settings, "VINCULO_WEBHOOK_ALLOW_PRIVATE", False))


def address_refusal(address: str) -> str | None:
    """Why ``address`` is not a public one (a short word), or None when it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for word, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("private", ip.is_private), ("multicast", ip.is_multicast),
                       ("unspecified", ip.is_unspecified), ("reserved", ip.is_reserved)):
        if flag:
            return word
    return None if ip.is_global else "not public"


def resolve(host: str, port: int) -> list[tuple[int, Any]]:
    """(family, sockaddr) of every address ``host`` resolves to, each checked; raises
    :class:`RefusedTarget` naming the first refused one (or a name that does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedTarget(_("The host %(host)s does not resolve.") % {"host": host}) from exc
    found: list[tuple[int, Any]] = [(family, sockaddr)
                                     for family, _t, _p, _c, sockaddr in infos]
    if not private_allowed():
        for _family, sockaddr in found:
            refusal = address_refusal(str(sockaddr[0]))
            if refusal is not None:
                raise RefusedTarget(
                    _("%(host)s resolves to %(address)s, a %(kind)s address: webhooks are not "
                      "sent to the internal network.")
                    % {"host": host, "address": str(sockaddr[0]), "kind": KINDS[refusal]})
    return found


def check_url(url: str) -> None:
    """Refuse a URL webhooks may not be sent to (:class:`RefusedTarget`)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget(_("Enter an http:// or https:// address."))
    if parts.username or parts.password:
        raise RefusedTarget(_("The address may not carry a user name or password."))
    resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


class _GuardedConnectionMixin:
    """Opens the socket only to a checked address of the host (urllib3's ``_new_conn``)."""

    def _new_conn(self) -> socket.socket:
        host, port = self._dns_host, self.port  # type: ignore[attr-defined]
        try:
            addresses = resolve(host, port)
        except RefusedTarget as exc:
            raise NewConnectionError(self, str(exc)) from exc  # type: ignore[arg-type]
        error: OSError | None = None
        for _family, sockaddr in addresses:
            try:
                return u3connection.connection.create_connection(
                    (sockaddr[0], port), self.timeout,  # type: ignore[attr-defined]
                    source_address=self.source_address,  # type: ignore[attr-defined]
                    socket_options=self.socket_options)  # type: ignore[attr-defined]
            except OSError as exc:
                error = exc
        raise NewConnectionError(
            self, f"Failed to establish a new connection: {error}")  # type: ignore[arg-type]


class _GuardedHTTPConnection(_GuardedConnectionMixin, u3connection.HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, u3connection.HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """requests' adapter whose connections go only to addresses :func:`resolve` allows."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool,
                                                   "https": _GuardedHTTPSPool}


def session() -> requests.Session:
    """A requests session for webhooks: guarded connections, kept alive, no proxies from the
    environment (a proxy would connect where the check never looked)."""
    s = requests.Session()
    s.trust_env = False
    adapter = GuardedAdapter(pool_connections=4, pool_maxsize=4, max_retries=0)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s
