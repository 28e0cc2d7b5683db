"""PopIndex: the open pops by (server, phone), also findable by phone alone in constant time.

Every agent page asks for its phone's pop on every live batch; a scan of all open pops per page
made that quadratic at a few hundred seats.
"""
from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pops import Pop

Key = tuple[str, str]  # (AMI server, interface)


class PopIndex(MutableMapping):
    def __init__(self) -> None:
        self._pops: dict[Key, Pop] = {}
        self._by_interface: dict[str, dict[str, Pop]] = {}

    def __getitem__(self, key: Key) -> Pop:
        return self._pops[key]

    def __setitem__(self, key: Key, pop: Pop) -> None:
        self._pops[key] = pop
        self._by_interface.setdefault(key[1], {})[key[0]] = pop

    def __delitem__(self, key: Key) -> None:
        del self._pops[key]
        servers = self._by_interface[key[1]]
        del servers[key[0]]
        if not servers:
            del self._by_interface[key[1]]

    def __iter__(self) -> Iterator[Key]:
        return iter(self._pops)

    def __len__(self) -> int:
        return len(self._pops)

    def latest(self, interface: str) -> Pop | None:
        """The newest pop at this phone on any server (one phone is one seat)."""
        found = self._by_interface.get(interface)
        if not found:
            return None
        return max(found.values(), key=lambda p: p.opened_at)

    def at(self, interface: str) -> list[tuple[Key, Pop]]:
        return [((server, interface), pop) for server, pop in self._by_interface.get(interface, {}).items()]
