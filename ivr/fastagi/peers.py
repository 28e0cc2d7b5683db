"""Which addresses may speak FastAGI to us: Asterisk's, nobody else's (issue 11.5).

FastAGI is plaintext and unauthenticated: whoever reaches the port gets a routing decision
for any caller it claims. The allowlist is checked on accept, before a byte is read, so a
refused peer learns nothing. Pure: addresses in, a yes/no out.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = ("127.0.0.0/8", "::1/128")


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """"10.0.0.5", "10.0.0.0/24", "::1" -> networks; ValueError naming the bad entry otherwise.

    strict: "10.0.0.5/8" (host bits set) is refused rather than silently widened to 10.0.0.0/8.
    """
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=True))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP address or CIDR network ({exc})") from None
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class PeerAllowlist:
    networks: tuple[Network, ...]

    @classmethod
    def of(cls, entries: Iterable[str] = LOOPBACK) -> PeerAllowlist:
        return cls(parse_networks(entries))

    def allows(self, peer: object) -> bool:
        """`peer` is what a socket's peername gives (a (host, port, ...) tuple) or a bare host."""
        host = peer[0] if isinstance(peer, tuple) and peer else peer
        try:
            address = ipaddress.ip_address(str(host).split("%", 1)[0])
        except ValueError:
            return False  # a Unix socket or something unexpected: not an allowed address
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:10.0.0.5 on a dual-stack socket is 10.0.0.5
        return any(address in network for network in self.networks)

    def __str__(self) -> str:
        return ", ".join(str(n) for n in self.networks)
