"""How a request reached us: over TLS or not, and from which client address.

Behind a reverse proxy that ends TLS (docs/tls.md) the console sees plain HTTP from the
proxy's address. Only a configured trusted proxy may tell otherwise, through
X-Forwarded-Proto and X-Forwarded-For; from anyone else those headers are ignored, so a
client cannot pick the address its failed logins are counted against.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

COOKIE = "hotline_session"
SECURE_COOKIE = "__Host-" + COOKIE  # Secure, Path=/, no Domain: a sibling host cannot plant or read it


class TrustedProxies:
    def __init__(self, networks: Iterable[str] = ()) -> None:
        self._networks = tuple(ipaddress.ip_network(n, strict=False) for n in networks)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str | None) -> bool:
        if not address or not self._networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._networks)

    def is_https(self, request: web.BaseRequest) -> bool:
        if request.secure:  # TLS terminated by aiohttp itself
            return True
        if not self.trusts(request.remote):
            return False
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return proto == "https"

    def client_ip(self, request: web.BaseRequest) -> str:
        """The peer, or behind trusted proxies the right-most X-Forwarded-For entry they did not add."""
        remote = request.remote or ""
        if not self.trusts(remote):
            return remote
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return remote
        return hops[0] if hops else remote


def session_cookie_name(secure: bool) -> str:
    return SECURE_COOKIE if secure else COOKIE
