"""FastAGI client side of res_agi: connect, send the agi_* environment, serve commands.

LF-only in both directions (fact 19). Far-end hangup: the running command returns
first, then `HANGUP\\n` is sent asynchronously and the session goes on in dead mode (22).
"""
from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .agi_commands import AgiCommands, tokenize
from .channels import ChannelRedirected

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx

_THREAD_IDS = itertools.count(140321648400064, 4096)


def agi_environment(chan: Channel, url: str, args: list[str], thread_id: int) -> bytes:
    """The environment block in the exact key order of the traces."""
    parts = urlsplit(url)
    script = url.split("/", 3)[3] if url.count("/") >= 3 else ""
    lines = [
        ("agi_network", "yes"), ("agi_network_script", script), ("agi_request", url), ("agi_channel", chan.name),
        ("agi_language", chan.language), ("agi_type", chan.tech), ("agi_uniqueid", chan.uniqueid), ("agi_version", "22.10.1"),
        ("agi_callerid", chan.caller_num or "unknown"), ("agi_calleridname", chan.caller_name or "unknown"),
        ("agi_callingpres", "0"), ("agi_callingani2", "0"), ("agi_callington", "0"), ("agi_callingtns", "0"),
        ("agi_dnid", chan.variables.get("__DNID", "unknown")), ("agi_rdnis", "unknown"), ("agi_context", chan.context),
        ("agi_extension", chan.exten), ("agi_priority", str(chan.priority)), ("agi_enhanced", "0.0"),
        ("agi_accountcode", chan.accountcode), ("agi_threadid", str(thread_id)),
    ]
    lines += [(f"agi_arg_{i}", a) for i, a in enumerate(args, start=1)]
    del parts
    return "".join(f"{k}: {v}\n" for k, v in lines).encode("utf-8") + b"\n"


def parse_agi_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 4573


async def run_fastagi(pbx: Pbx, chan: Channel, url: str, args: list[str]) -> str:
    """Run one FastAGI session; returns AGISTATUS (SUCCESS / FAILURE / HANGUP).

    As res_agi's run_agi: a command answered with RESULT_FAILURE on a live channel (STREAM FILE of
    a missing file, `200 result=-1 endpos=0`; RECORD FILE that cannot write; any media command's
    -1) does not end the session, but the session then ends with FAILURE (traces 03a + 03b).
    """
    host, port = parse_agi_url(url)
    host, port = pbx.agi_map.get((host, port), (host, port))
    try:
        async with asyncio.timeout(pbx.agi_connect_timeout):
            reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return "FAILURE"
    chan.agi_active = True
    session = AgiSession(pbx, chan, reader, writer)
    try:
        writer.write(agi_environment(chan, url, args, next(_THREAD_IDS)))
        await writer.drain()
        await session.serve()
    except (ConnectionError, OSError):
        pass
    finally:
        chan.agi_active = False
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass
    if not chan.alive:
        return "HANGUP"
    return "FAILURE" if session.failed else "SUCCESS"


class AgiSession:
    def __init__(self, pbx: Pbx, chan: Channel, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.pbx = pbx
        self.chan = chan
        self.reader = reader
        self.writer = writer
        self.dead = False
        self.hangup_sent = False
        self.failed = False
        self.commands = AgiCommands(pbx, chan, self)

    async def _send(self, text: str) -> None:
        self.writer.write(text.encode("utf-8"))
        await self.writer.drain()

    async def _notify_hangup(self) -> None:
        if not self.hangup_sent:
            self.hangup_sent = True
            self.dead = True
            await self._send("HANGUP\n")

    async def serve(self) -> None:
        """Read and run commands until the server closes; hangup → async `HANGUP`, redirect → end the AGI."""
        while True:
            line_fut = asyncio.ensure_future(self.reader.readline())
            if not self.hangup_sent and not self.chan.alive:
                await self._notify_hangup()
            watch = asyncio.ensure_future(self.chan.attention.wait()) if not self.hangup_sent else None
            waiters = {line_fut} | ({watch} if watch else set())
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if watch is not None and not watch.done():
                watch.cancel()
                await asyncio.gather(watch, return_exceptions=True)
            if line_fut not in done and self.chan.alive and self.chan.redirect_to is not None:
                line_fut.cancel()
                await asyncio.gather(line_fut, return_exceptions=True)
                raise ChannelRedirected()
            if line_fut not in done:
                await self._notify_hangup()
            line = await line_fut
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\n").rstrip("\r")
            await self.execute(text)
            if not self.chan.alive and not self.hangup_sent:
                await self._notify_hangup()

    async def execute(self, text: str) -> None:
        cmd_id = self.pbx.ids.command_id()
        while not self.chan.dtmf.empty():
            self.chan.dtmf.get_nowait()  # res_agi reads and drops frames between commands
        self.pbx.chan_event("AGIExecStart", self.chan, ("CommandId", cmd_id), ("Command", text), privilege="agi,all")
        reply, code, result = await self.commands.dispatch(text, tokenize(text), self.dead or not self.chan.alive)
        await self._send(reply)
        if code == -1 and (self.dead or self.chan.alive):
            self.failed = True  # res_agi run_agi: a RESULT_FAILURE not caused by a hangup fails the session
        self.pbx.chan_event("AGIExecEnd", self.chan, ("CommandId", cmd_id), ("Command", text), ("ResultCode", code),
                            ("Result", result), privilege="agi,all")
