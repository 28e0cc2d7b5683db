"""AMI clients built from the configuration: one per Asterisk server."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hotline.ami.client import AmiClient, AmiServer
from hotline.config import Config


def make_clients(config: Config, **client_options) -> list[AmiClient]:
    clients = []
    for server in config.ami.servers:
        clients.append(AmiClient(AmiServer(
            name=server.name, host=server.host, port=server.port, username=server.username,
            secret=config.ami_secret(server), connect_timeout=config.ami.connect_timeout,
            action_timeout=config.ami.action_timeout, backoff_max=config.ami.reconnect_max_delay),
            **client_options))
    return clients


@asynccontextmanager
async def connect_all(config: Config, timeout: float | None = None) -> AsyncIterator[list[AmiClient]]:
    """Connected clients for a one-off job (CLI); closed on exit."""
    clients = make_clients(config)
    try:
        for client in clients:
            await client.start(wait=True, timeout=timeout or config.ami.connect_timeout * 2)
        yield clients
    finally:
        for client in clients:
            await client.close()
