"""Child process: the baseline — a minimal aiohttp websocket broadcaster fed by the same AMI stream.

No console logic (no live floor, screen pop, sessions, wallboard figures): it logs in to the
stand-in's AMI with a bare socket, keeps each agent's state from AgentCalled/AgentConnect/
AgentComplete/AgentRingNoAnswer, and with the hub's batching policy (flush, then a batch window
of the same length) sends each agent page `{"state"}` and each wallboard `{"agents": […]}` when
what it shows changed. The cookie value is the page's interface (no authentication).

    python -m bench.console_load.baseline --ami-port P --secret S [--batch 0.25]
"""
from __future__ import annotations

import argparse
import asyncio
import json

from aiohttp import web

from bench.ivr_load.child import Recorder, control_loop, say

STATES = {"AgentCalled": "ringing", "AgentConnect": "talking", "AgentComplete": "idle", "AgentRingNoAnswer": "idle"}


class Broadcaster:
    def __init__(self, batch: float) -> None:
        self.batch = batch
        self.states: dict[str, str] = {}
        self.agents: dict[web.WebSocketResponse, list] = {}   # ws -> [iface, last text]
        self.boards: dict[web.WebSocketResponse, list] = {}   # ws -> [last text]
        self.dirty = asyncio.Event()
        self.sent = 0
        self.batches = 0

    def event(self, headers: dict[str, str]) -> None:
        state = STATES.get(headers.get("Event", ""))
        iface = headers.get("Interface") or headers.get("MemberName")
        if state and iface:
            self.states[iface] = state
            self.dirty.set()

    async def page(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        board = request.path.startswith("/wallboard")
        (self.boards if board else self.agents)[ws] = [None] if board else [request.cookies.get("hotline_session"), None]
        await self.push(ws)
        try:
            async for _ in ws:
                pass
        finally:
            self.agents.pop(ws, None)
            self.boards.pop(ws, None)
        return ws

    async def push(self, ws: web.WebSocketResponse) -> None:
        if ws in self.agents:
            slot = self.agents[ws]
            text = json.dumps({"state": self.states.get(slot[0], "idle")})
        else:
            slot = self.boards[ws]
            text = json.dumps({"agents": [{"interface": i, "state": s} for i, s in sorted(self.states.items())]})
        if text != slot[-1] and not ws.closed:
            slot[-1] = text
            await ws.send_str(text)
            self.sent += 1

    async def run(self) -> None:
        while True:
            await self.dirty.wait()
            self.dirty.clear()
            self.batches += 1
            for ws in [*self.agents, *self.boards]:
                try:
                    await self.push(ws)
                except ConnectionError:
                    pass
            await asyncio.sleep(self.batch)


async def read_ami(port: int, secret: str, hub: Broadcaster) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()  # banner
    writer.write(f"Action: Login\r\nUsername: hotline\r\nSecret: {secret}\r\n\r\n".encode())
    try:
        while block := await reader.readuntil(b"\r\n\r\n"):
            headers = dict(line.split(": ", 1) for line in block.decode("utf-8", "replace").split("\r\n") if ": " in line)
            hub.event(headers)
    except asyncio.IncompleteReadError:
        pass
    finally:
        writer.close()


async def main(args: argparse.Namespace) -> None:
    hub = Broadcaster(args.batch)
    app = web.Application()
    app.router.add_get("/agent/live", hub.page)
    app.router.add_get("/wallboard/live", hub.page)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    tasks = [asyncio.create_task(read_ami(args.ami_port, args.secret, hub)), asyncio.create_task(hub.run())]
    try:
        say({"console_port": site._server.sockets[0].getsockname()[1]})

        async def status() -> dict:
            return {"sent": hub.sent, "batches": hub.batches, "pages": len(hub.agents) + len(hub.boards)}

        await control_loop(Recorder(), status)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for ws in [*hub.agents, *hub.boards]:
            await ws.close()
        await runner.cleanup()
        say({"tasks_after_cleanup": len(asyncio.all_tasks()) - 1})


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ami-port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--batch", type=float, default=0.25)
    asyncio.run(main(parser.parse_args(argv)))


if __name__ == "__main__":
    run()
