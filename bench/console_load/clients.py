"""Child process: N agent pages and M wallboards as aiohttp websocket clients (no browser: the load
is the server's, and a browser would only add its own rendering on the receiving side).

Reads one JSON line `{"base", "agents": [[token, iface]…], "wallboards": [token…], "parse": K}`,
opens every socket (cookie + same-origin `Origin`, as a browser sends them), says
`{"connected", "failed"}`, then records until `{"op": "stop"}` and answers with the dump:
per agent page `[t, state]` whenever its state changes and `[t, linkedid, has_draft]` when a call's screen
pop is first complete (caller shown, the draft looked up: `loading` false), for the first K wallboards
`[t, iface, state]` whenever an agent's state on that board changes (t: `time.monotonic()`,
system-wide, so comparable with the stand-in process's timestamps), and counts/bytes per kind.
"""
from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp

from bench.ivr_load.child import read_message, say

COOKIE = "hotline_session"


class Tally:
    def __init__(self) -> None:
        self.messages = {"agent": 0, "wallboard": 0}
        self.bytes = {"agent": 0, "wallboard": 0}
        self.closed: dict[str, int] = {}
        self.agent_states: dict[str, list] = {}
        self.pops: dict[str, list] = {}
        self.board_changes: list[list] = []
        self.recording = False


async def agent_page(http: aiohttp.ClientSession, base: str, token: str, iface: str, tally: Tally,
                     ready: asyncio.Queue) -> None:
    seen = tally.agent_states.setdefault(iface, [])
    pops = tally.pops.setdefault(iface, [])
    popped: set[str] = set()
    last = None
    try:
        async with http.ws_connect(f"{base}/agent/live", headers={"Origin": base, "Cookie": f"{COOKIE}={token}"},
                                   max_msg_size=0) as ws:
            ready.put_nowait(True)
            async for msg in ws:
                now = time.monotonic()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                tally.messages["agent"] += 1
                tally.bytes["agent"] += len(msg.data)
                data = json.loads(msg.data)
                state = data.get("state")
                if state != last:
                    last = state
                    seen.append([now, state])
                pop = data.get("pop")
                if pop and not pop.get("loading") and pop.get("caller_masked") and pop["linkedid"] not in popped:
                    popped.add(pop["linkedid"])
                    pops.append([now, pop["linkedid"], pop.get("ticket") is not None])
            tally.closed[str(ws.close_code)] = tally.closed.get(str(ws.close_code), 0) + 1
    except (aiohttp.ClientError, OSError) as exc:
        ready.put_nowait(f"agent {iface}: {type(exc).__name__}: {exc}"[:200])


async def wallboard(http: aiohttp.ClientSession, base: str, token: str, board: int, parse: bool, tally: Tally,
                    ready: asyncio.Queue) -> None:
    last: dict[str, str] = {}
    try:
        async with http.ws_connect(f"{base}/wallboard/live", headers={"Origin": base, "Cookie": f"{COOKIE}={token}"},
                                   max_msg_size=0) as ws:
            ready.put_nowait(True)
            async for msg in ws:
                now = time.monotonic()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                tally.messages["wallboard"] += 1
                tally.bytes["wallboard"] += len(msg.data)
                if parse:
                    for agent in json.loads(msg.data).get("agents", ()):
                        iface, state = agent["interface"], agent["state"]
                        if last.get(iface) != state:
                            last[iface] = state
                            tally.board_changes.append([now, board, iface, state])
            tally.closed[str(ws.close_code)] = tally.closed.get(str(ws.close_code), 0) + 1
    except (aiohttp.ClientError, OSError) as exc:
        ready.put_nowait(f"wallboard: {type(exc).__name__}: {exc}"[:200])


async def main() -> None:
    plan = await read_message()
    if not plan:
        return
    tally = Tally()
    ready: asyncio.Queue = asyncio.Queue()
    base = plan["base"]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        tasks = [asyncio.create_task(agent_page(http, base, token, iface, tally, ready))
                 for token, iface in plan["agents"]]
        tasks += [asyncio.create_task(wallboard(http, base, token, i, i < plan["parse"], tally, ready))
                  for i, token in enumerate(plan["wallboards"])]
        failed: list[str] = []
        started = time.monotonic()
        for _ in tasks:
            try:
                async with asyncio.timeout(60):
                    answer = await ready.get()
            except TimeoutError:
                failed.append("no answer within 60 s")
                break
            if answer is not True:
                failed.append(answer)
        say({"connected": len(tasks) - len(failed), "failed": failed[:5], "failures": len(failed),
             "seconds": time.monotonic() - started, "t": time.monotonic()})
        message = await read_message()
        if message and message.get("op") == "start":  # the measured window: count from here
            tally.messages = {"agent": 0, "wallboard": 0}
            tally.bytes = {"agent": 0, "wallboard": 0}
            say({"started": time.monotonic()})
            message = await read_message()
        stopped = time.monotonic()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if message is not None:
            say({"stopped": stopped, "messages": tally.messages, "bytes": tally.bytes, "closed": tally.closed,
                 "agent_states": tally.agent_states, "pops": tally.pops, "board_changes": tally.board_changes})


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
