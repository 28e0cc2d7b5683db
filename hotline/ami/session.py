"""One logged-in TCP connection to AMI: writes actions, reads and routes messages.

Responses and list items are matched to pending actions by ActionID; everything else goes
to the fan-out. When the connection ends every pending action fails at once with
AmiConnectionLost (it may or may not have run; it is never re-sent).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable

from hotline.ami.actions import Action, ActionSpec, spec_for
from hotline.ami.errors import AmiActionError, AmiAuthError, AmiConnectionLost, AmiProtocolError
from hotline.ami.message import Message, Source
from hotline.ami.protocol import AmiReader, encode_action
from hotline.ami.response import AmiResponse

READ_SIZE = 65536


class _Pending:
    __slots__ = ("action", "spec", "future", "response", "items")

    def __init__(self, action: Action, spec: ActionSpec, future: asyncio.Future) -> None:
        self.action = action
        self.spec = spec
        self.future = future
        self.response: Message | None = None
        self.items: list[Message] = []


class AmiSession:
    """A connected AMI socket. ``send`` works before the client is ready (for on_connected hooks)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, source: Source,
                 publish: Callable[[list[Message]], None], id_prefix: str, max_message_size: int,
                 logger: logging.Logger) -> None:
        self._reader = reader
        self._writer = writer
        self.source = source
        self._publish = publish
        self._ids = itertools.count(1)
        self._id_prefix = f"{id_prefix}-{source.generation}-"
        self.parser = AmiReader(max_message_size, source, lazy=True)
        self._pending: dict[str, _Pending] = {}
        self._lists_open = 0
        self._log = logger
        self._errors_seen = 0
        self._lost: AmiConnectionLost | None = None
        self.greeted = asyncio.Event()
        self.closed = asyncio.Event()
        # Asterisk answers AMI while still loading modules (app_queue's actions unknown until then);
        # it says FullyBooted to a session right after Login when booted, else to all once it is
        self.fully_booted = asyncio.Event()

    @property
    def server(self) -> str:
        return self.source.server

    @property
    def generation(self) -> int:
        return self.source.generation

    @property
    def reconnect(self) -> bool:
        return self.source.generation > 1

    async def send(self, action: Action | str, fields=None, **kwargs) -> AmiResponse:
        """Send and await the complete answer (no timeout here: the caller wraps one)."""
        act = action if isinstance(action, Action) else Action.of(action, fields, **kwargs)
        if self._lost is not None:
            raise AmiConnectionLost(f"{self.server}: connection lost before {act.name} was sent")
        action_id = f"{self._id_prefix}{next(self._ids)}"
        data = encode_action(act.name, act.fields, action_id)
        future = asyncio.get_running_loop().create_future()
        pending = _Pending(act, spec_for(act.name), future)
        self._pending[action_id] = pending
        try:
            self._writer.write(data)
            await self._writer.drain()
            return await future
        except (ConnectionError, OSError) as exc:
            raise AmiConnectionLost(f"{self.server}: connection lost while sending {act.name}") from exc
        finally:
            if self._pending.pop(action_id, None) is not None and pending.response is not None:
                self._lists_open -= 1

    async def run(self) -> None:
        """Read until EOF or error; then fail every pending action."""
        reason = "closed by Asterisk"
        try:
            while True:
                data = await self._reader.read(READ_SIZE)
                if not data:
                    break
                self.feed(data)
        except (ConnectionError, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            self._fail_all(AmiConnectionLost(f"{self.server}: connection lost ({reason})"))
            self.greeted.set()
            self.closed.set()

    def feed(self, data: bytes) -> None:
        """Parse one read and route the messages (the hot path)."""
        parser = self.parser
        msgs = parser.feed(data)
        if not self.greeted.is_set() and parser.greeted:
            self.greeted.set()
        if parser.error_count != self._errors_seen:
            self._report_protocol_errors()
        if not msgs:
            return
        if not parser.responses and not self._lists_open:
            events = msgs
        elif not self._pending:
            events = [m for m in msgs if m.event is not None]
            self._log.debug("ami.response.unsolicited server=%s", self.server)
        else:
            events = []
            for msg in msgs:
                if msg.event is None:
                    self._on_response(msg)
                elif not (self._lists_open and self._on_item(msg)):
                    events.append(msg)
        if events:
            if not self.fully_booted.is_set() and any(m.event == "FullyBooted" for m in events):
                self.fully_booted.set()
            self._publish(events)

    def _on_response(self, msg: Message) -> None:
        msg.parsed()
        pending = self._pending.get(msg.get("ActionID") or "")
        if pending is None or pending.future.done():
            self._log.debug("ami.response.unmatched server=%s action_id=%s", self.server, msg.get("ActionID"))
            return
        name = pending.action.name
        status = msg.get("Response")
        if status in ("Error", "Failure", "Fail"):
            text = msg.get("Message") or ""
            if text in pending.spec.empty_on_error:
                pending.future.set_result(AmiResponse(name, msg))
                return
            err_type = AmiAuthError if name.lower() == "login" else AmiActionError
            pending.future.set_exception(err_type(name, text, AmiResponse(name, msg)))
        elif (msg.get("EventList") or "").lower() == "start":
            pending.response = msg
            self._lists_open += 1
        else:
            pending.future.set_result(AmiResponse(name, msg))

    def _on_item(self, msg: Message) -> bool:
        if "ActionID: " not in msg.raw_text:
            return False
        msg.parsed()
        pending = self._pending.get(msg.get("ActionID") or "")
        if pending is None or pending.response is None or pending.future.done():
            return False
        complete = (msg.get("EventList") or "").lower() == "complete" or msg.event == pending.spec.complete_event
        if not complete:
            pending.items.append(msg)
            return True
        resp = AmiResponse(pending.action.name, pending.response, tuple(pending.items), msg)
        if resp.reported_items is not None and resp.reported_items != len(pending.items):
            self._log.warning("ami.list.count_mismatch server=%s action=%s ListItems=%s received=%d",
                              self.server, pending.action.name, resp.reported_items, len(pending.items))
        pending.future.set_result(resp)
        return True

    def _report_protocol_errors(self) -> None:
        parser = self.parser
        new = parser.error_count - self._errors_seen
        self._errors_seen = parser.error_count
        for err in list(parser.errors)[-min(new, len(parser.errors)):]:
            self._log.warning("%s server=%s %s raw=%r", err.error_id, self.server, err.reason, err.raw[:80])

    def _fail_all(self, exc: AmiConnectionLost) -> None:
        self._lost = exc
        for pending in list(self._pending.values()):
            if not pending.future.done():
                pending.future.set_exception(exc)

    def abort(self) -> None:
        """Close the socket now (the read loop then ends and fails the pending actions)."""
        if not self._writer.is_closing():
            self._writer.close()

    async def wait_closed(self) -> None:
        self.abort()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def not_ami(raw: bytes) -> AmiProtocolError:
    return AmiProtocolError("peer did not send the 'Asterisk Call Manager/' banner", raw)
