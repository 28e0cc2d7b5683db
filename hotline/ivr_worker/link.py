"""One end of the engine ↔ IVR worker socket pair: send without waiting, read messages as they come.

Sending never awaits the peer: a call in the worker must not wait on the engine (and the engine's
console on the worker). A peer that stops reading gets nothing more once `max_buffer` bytes wait:
the message is dropped and counted, never queued without bound.
"""
from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

from hotline.ivr_worker.messages import MAX_LINE, Message, MessageError, decode, encode

log = logging.getLogger("hotline.ivr_worker")


class Link:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                 max_buffer: int = 4 << 20) -> None:
        self._reader, self._writer = reader, writer
        self._max_buffer = max_buffer
        self.sent = self.dropped = 0

    @classmethod
    async def over(cls, sock: socket.socket) -> Link:
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=MAX_LINE + 1)
        return cls(reader, writer)

    @property
    def closed(self) -> bool:
        return self._writer.is_closing()

    def send(self, kind: str, **data) -> bool:
        """Queue one message for the peer; False (and counted) when the link is gone or full."""
        transport = self._writer.transport
        if self._writer.is_closing() or transport.get_write_buffer_size() > self._max_buffer:
            self.dropped += 1
            log.warning("ivr_worker.link: %s not sent (peer gone or not reading; %d dropped)", kind, self.dropped)
            return False
        self._writer.write(encode(kind, **data))
        self.sent += 1
        return True

    async def flush(self, timeout: float = 2.0) -> None:
        """Wait (bounded) until what was sent has left: before a clean exit, never during a call."""
        try:
            await asyncio.wait_for(self._writer.drain(), timeout)
        except (TimeoutError, ConnectionError):
            pass

    async def messages(self) -> AsyncIterator[Message]:
        """Every message until the peer closes; a malformed line is logged and skipped."""
        while True:
            try:
                line = await self._reader.readline()
            except (ConnectionError, ValueError) as exc:  # ValueError: a line over the limit
                log.warning("ivr_worker.link: read failed: %r", exc)
                return
            if not line:
                return
            try:
                yield decode(line)
            except MessageError as exc:
                log.warning("ivr_worker.link: %s", exc)

    def close(self) -> None:
        self._writer.close()
