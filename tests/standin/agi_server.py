"""Scripted FastAGI server for tests, on a free port (the stand-in maps agi://127.0.0.1:4573 to it)."""
from __future__ import annotations

import asyncio
import socket


class AgiPort:
    """Reserve a free loopback port number for the test's FastAGI server."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]


class AgiServer:
    """`script(reader, writer)` runs per connection after the agi_* environment was read."""

    def __init__(self, script, port: AgiPort) -> None:
        self.script = script
        self.port = port.port
        self.envs: list[list[str]] = []
        self.done = asyncio.Event()

    async def _handle(self, reader, writer):
        env = []
        while True:
            line = await reader.readline()
            if line in (b"\n", b""):
                break
            env.append(line.decode())
        self.envs.append(env)
        try:
            await self.script(reader, writer)
        finally:
            writer.close()
            self.done.set()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()


async def cmd(reader, writer, text: str) -> str:
    writer.write(text.encode() + b"\n")
    await writer.drain()
    return (await reader.readline()).decode()
