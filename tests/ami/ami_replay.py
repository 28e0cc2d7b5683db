"""Helpers for the AMI tests: trace bytes, and a tiny asyncio AMI server that replays them.

The server answers with byte blocks recorded from the real Asterisk 22.10.1 (only the
ActionID is rewritten to the one our client sent). It is a transport-level fake, not the
Asterisk stand-in.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from hotline.ami.protocol import AmiReader

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
RAW = TRACES / "raw"
BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def raw(name: str) -> bytes:
    return (RAW / name).read_bytes()


def ami_streams(direction: str = "from_asterisk") -> list[Path]:
    return sorted(p for p in RAW.glob(f"*.{direction}.bin") if ".ami" in p.name)


def blocks(data: bytes) -> list[bytes]:
    """Raw message blocks (banner removed, blank-line terminator stripped)."""
    if data.startswith(BANNER):
        data = data[len(BANNER):]
    return data.split(b"\r\n\r\n")[:-1]


def recorded(trace: str, action_id: str) -> list[bytes]:
    """Every block Asterisk sent carrying ``ActionID: action_id`` (a response and its list items)."""
    tag = b"ActionID: " + action_id.encode()
    return [b for b in blocks(raw(trace)) if tag in b.split(b"\r\n")]


def action_ids(trace: str, action: str) -> list[str]:
    """ActionIDs our capture tool used for ``action`` in a to_asterisk stream, in order."""
    msgs = AmiReader().feed(raw(trace))
    return [m["ActionID"] for m in msgs if m.get("Action", "").lower() == action.lower() and "ActionID" in m]


def reply(block_list: list[bytes], old_id: str, new_id: str) -> bytes:
    old = b"ActionID: " + old_id.encode()
    new = b"ActionID: " + new_id.encode()
    out = []
    for block in block_list:
        out.append(b"\r\n".join(new if line == old else line for line in block.split(b"\r\n")) + b"\r\n\r\n")
    return b"".join(out)


TRACE_04 = "04-ami-queue-management.ami1.from_asterisk.bin"
TRACE_04_TO = "04-ami-queue-management.ami1.to_asterisk.bin"
TRACE_01 = "01-ami-basic.ami3.from_asterisk.bin"
TRACE_01_TO = "01-ami-basic.ami3.to_asterisk.bin"
TRACE_AUTH_FAIL = "01-ami-basic.ami1.from_asterisk.bin"


class ReplayAmi:
    """AMI server on 127.0.0.1: banner, Login (recorded success/failure), recorded replies."""

    def __init__(self, secret: str = "s3cret", auth_delay: float = 0.01) -> None:
        self.secret = secret
        self.auth_delay = auth_delay
        self.replies: dict[str, tuple[list[bytes], str]] = {}
        self.silent: set[str] = set()
        self.received: list = []
        self.logins = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.action_seen = asyncio.Event()
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        login_ok_id = action_ids(TRACE_01_TO, "Login")[0]
        self._login_ok = (recorded(TRACE_01, login_ok_id), login_ok_id)
        fail_id = action_ids("01-ami-basic.ami1.to_asterisk.bin", "Login")[0]
        self._login_fail = (recorded(TRACE_AUTH_FAIL, fail_id), fail_id)
        ping_id = action_ids(TRACE_01_TO, "Ping")[0]
        self.replies["ping"] = (recorded(TRACE_01, ping_id), ping_id)

    def use(self, action: str, trace_from: str, trace_to: str, index: int = 0) -> None:
        """Answer ``action`` with what Asterisk answered to its ``index``-th occurrence in a trace."""
        old = action_ids(trace_to, action)[index]
        self.replies[action.lower()] = (recorded(trace_from, old), old)

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> ReplayAmi:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tasks.add(asyncio.current_task())
        self.writers.append(writer)
        parser = AmiReader()
        try:
            writer.write(BANNER)
            while data := await reader.read(65536):
                for msg in parser.feed(data):
                    self.received.append(msg)
                    self.action_seen.set()
                    if not await self._answer(msg, writer):
                        return
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._tasks.discard(asyncio.current_task())

    async def _answer(self, msg, writer: asyncio.StreamWriter) -> bool:
        name = msg.get("Action", "").lower()
        new_id = msg.get("ActionID", "")
        if name == "login":
            if msg.get("Secret") != self.secret:
                await asyncio.sleep(self.auth_delay)
                writer.write(reply(*self._login_fail, new_id))
                await writer.drain()
                return False
            self.logins += 1
            writer.write(reply(*self._login_ok, new_id))
            return True
        if name == "logoff":
            writer.write(b"Response: Goodbye\r\nActionID: " + new_id.encode()
                         + b"\r\nMessage: Thanks for all the fish.\r\n\r\n")
            await writer.drain()
            return False
        if name in self.silent:
            return True
        blocks_, old = self.replies[name]
        writer.write(reply(blocks_, old, new_id))
        await writer.drain()
        return True

    async def send_raw(self, data: bytes) -> None:
        for writer in list(self.writers):
            if not writer.is_closing():
                writer.write(data)
                await writer.drain()

    def drop(self) -> None:
        """Close every client connection at once (as when Asterisk restarts)."""
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    async def close(self) -> None:
        self.drop()
        self._server.close()
        await self._server.wait_closed()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


def stray_tasks() -> set[asyncio.Task]:
    """Tasks other than the running test itself."""
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}
