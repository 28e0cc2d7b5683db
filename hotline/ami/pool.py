"""Several Asterisk servers: one AmiClient each, one shared fan-out (events carry ``.server``)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping

from hotline.ami.client import AmiClient, AmiServer, OnConnected
from hotline.ami.events import to_event
from hotline.ami.fanout import EventFanout, Subscription


class AmiPool(Mapping[str, AmiClient]):
    """``pool["pbx-a"].send(...)``; ``pool.subscribe(...)`` sees the events of every server."""

    def __init__(self, servers: Iterable[AmiServer], *, client_factory: Callable[..., AmiClient] = AmiClient,
                 **client_options) -> None:
        self.fanout = EventFanout(convert=to_event, logger=client_options.get("logger"))
        self._clients: dict[str, AmiClient] = {}
        for server in servers:
            if server.name in self._clients:
                raise ValueError(f"duplicate AMI server name {server.name!r}")
            self._clients[server.name] = client_factory(server, fanout=self.fanout, **client_options)

    def __getitem__(self, name: str) -> AmiClient:
        return self._clients[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._clients)

    def __len__(self) -> int:
        return len(self._clients)

    def subscribe(self, handler: Callable, **options) -> Subscription:
        return self.fanout.subscribe(handler, **options)

    def on_connected(self, hook: OnConnected) -> OnConnected:
        for client in self._clients.values():
            client.on_connected(hook)
        return hook

    @property
    def subscriber_errors(self):
        return self.fanout.subscriber_errors

    async def start(self, wait: bool = True, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Start every client; with ``wait``, return when all are ready (first error raised)."""
        await asyncio.gather(*(c.start(wait=wait, timeout=timeout) for c in self._clients.values()))

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self._clients.values()), return_exceptions=True)
        await self.fanout.close()
