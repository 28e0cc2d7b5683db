"""Minimal test-side AMI client and trace reader (hotline/ami is written concurrently)."""
from __future__ import annotations

import asyncio
from pathlib import Path

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
LAB = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-lab"


def split_messages(data: bytes) -> list[list[tuple[str, str]]]:
    """Split an AMI byte stream (banner dropped) into header lists."""
    text = data.decode("utf-8", "replace")
    if text.startswith("Asterisk Call Manager"):
        text = text.split("\r\n", 1)[1]
    out = []
    for block in text.split("\r\n\r\n"):
        if not block:
            continue
        out.append([tuple(line.split(": ", 1)) if ": " in line else (line.rstrip(":"), "") for line in block.split("\r\n")])
    return out


def trace_messages(name: str, conn: str = "ami1") -> list[list[tuple[str, str]]]:
    return split_messages((TRACES / "raw" / f"{name}.{conn}.from_asterisk.bin").read_bytes())


class AmiTestClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.raw = b""
        self.messages: list[list[tuple[str, str]]] = []
        self._new = asyncio.Event()
        self._task = asyncio.ensure_future(self._pump())
        self.closed = asyncio.Event()

    @classmethod
    async def connect(cls, port: int) -> AmiTestClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def _pump(self) -> None:
        buf = b""
        while True:
            data = await self.reader.read(65536)
            if not data:
                self.closed.set()
                self._new.set()
                return
            self.raw += data
            buf += data
            if buf.startswith(b"Asterisk Call Manager/11.0.0\r\n"):
                buf = buf[len(b"Asterisk Call Manager/11.0.0\r\n"):]
            while b"\r\n\r\n" in buf:
                block, buf = buf.split(b"\r\n\r\n", 1)
                self.messages.extend(split_messages(block + b"\r\n\r\n"))
            self._new.set()

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    def send(self, action: str, **headers: str) -> None:
        lines = [f"Action: {action}"] + [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))

    async def wait_for(self, pred, limit: float = 5.0, start: int = 0) -> list[tuple[str, str]]:
        async with asyncio.timeout(limit):
            while True:
                for msg in self.messages[start:]:
                    if pred(msg):
                        return msg
                self._new.clear()
                if self.closed.is_set():
                    raise ConnectionError("closed")
                await self._new.wait()

    async def action(self, action: str, limit: float = 5.0, **headers: str) -> list[tuple[str, str]]:
        aid = headers.setdefault("ActionID", f"t-{len(self.messages)}-{action}")
        self.send(action, **headers)
        return await self.wait_for(lambda m: m[0][0] == "Response" and ("ActionID", aid) in m, limit)

    async def event(self, name: str, limit: float = 5.0, **fields: str) -> list[tuple[str, str]]:
        return await self.wait_for(lambda m: m[0] == ("Event", name) and all((k, v) in m for k, v in fields.items()), limit)

    async def login(self, events: str = "on") -> None:
        await self.action("Login", Username="eng", Secret="test-secret", Events=events)

    async def close(self) -> None:
        self.writer.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def get(msg: list[tuple[str, str]], key: str) -> str | None:
    for k, v in msg:
        if k == key:
            return v
    return None
