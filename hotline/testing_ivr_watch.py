"""A second AMI session straight to the stand-in (not through the engine's proxy) that notes, in
real time, when each citizen's call arrived and when the IVR handed it back to the dialplan
(`HOTLINE_ACTION`, emptied by the dialplan before the AGI, is the last variable the engine sets). Plain sockets: it must not share code
with the engine it watches."""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class IvrTimes:
    arrived: dict[str, float] = field(default_factory=dict)    # Uniqueid -> loop time of Newchannel
    decided: dict[str, float] = field(default_factory=dict)    # Uniqueid -> loop time of HOTLINE_ACTION

    def durations(self, since: float, until: float, decided_by: float = float("inf")) -> list[float]:
        """IVR time of the calls that arrived in [since, until) and were decided (before `decided_by`)."""
        return [self.decided[u] - t for u, t in self.arrived.items()
                if since <= t < until and self.decided.get(u, decided_by) < decided_by]


async def watch_ivr(port: int, username: str, secret: str, times: IvrTimes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    loop = asyncio.get_running_loop()
    try:
        await reader.readline()  # banner
        writer.write(f"Action: Login\r\nUsername: {username}\r\nSecret: {secret}\r\n\r\n".encode())
        await writer.drain()
        block: dict[str, str] = {}
        while line := await reader.readline():
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if text:
                key, _, value = text.partition(": ")
                block.setdefault(key, value)
                continue
            event, uid = block.get("Event"), block.get("Uniqueid", "")
            if event == "Newchannel" and block.get("Channel", "").startswith("PJSIP/trunk"):
                times.arrived[uid] = loop.time()
            elif (event == "VarSet" and block.get("Variable", "").lstrip("_") == "HOTLINE_ACTION"
                  and block.get("Value") and uid in times.arrived and uid not in times.decided):
                times.decided[uid] = loop.time()
            block = {}
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
