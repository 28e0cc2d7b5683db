"""AMI TCP server: sessions, authentication, event delivery and action dispatch (facts 1–8)."""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, UTC
from importlib import resources
from typing import Any

from . import ami_wire
from .ami_actions import ACTIONS
from .ami_filters import EventFilters
from .ami_privileges import ALL, PERMS, action_authorities, event_category, events_mask, perm_mask
from .ami_wire import LineTooLong, Request, RequestParser, error, format_message
from .pbx import Pbx

log = logging.getLogger(__name__)
Handler = Callable[["AmiServer", "AmiSession", Request], Awaitable[None]]


def event_tv(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class AmiSession:
    def __init__(self, server: AmiServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.parser = RequestParser()
        self.username: str | None = None
        self.readperm = 0
        self.writeperm = 0
        self.send_events = ALL
        self.filters = EventFilters()
        self.challenge: str | None = None
        self.session_id = server.pbx.ids.session_id()
        self.opened = server.pbx.clock.now()
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        sock = writer.get_extra_info("sockname") or ("127.0.0.1", 5038)
        self.remote = f"IPV4/TCP/{peer[0]}/{peer[1]}"
        self.local = f"IPV4/TCP/{sock[0]}/{sock[1]}"
        self.closing = False
        self._out: list[bytes] = []

    @property
    def authenticated(self) -> bool:
        return self.username is not None

    @property
    def events_on(self) -> bool:
        return self.send_events != 0

    def send(self, headers: list[tuple[str, Any]]) -> None:
        self.write(format_message(headers))

    def write(self, data: bytes) -> None:
        """Queue bytes; everything queued in one loop turn leaves in one socket write."""
        if self.closing or self.writer.is_closing():
            return
        if not self._out:
            asyncio.get_running_loop().call_soon(self.flush)
        self._out.append(data)

    def flush(self) -> None:
        if self._out and not self.writer.is_closing():
            self.writer.write(b"".join(self._out))
        self._out.clear()

    def wants(self, event: str, msg: list[tuple[str, Any]]) -> bool:
        """manager.c: every class of the event in `read =` and in the Events mask, then the eventfilters."""
        if not self.authenticated:
            return False
        category = self.server.category(msg[1][1] if len(msg) > 1 and msg[1][0] == "Privilege" else "")
        if (self.readperm & category) != category or (self.send_events & category) != category:
            return False
        return not self.filters or self.filters.allows(event, msg)

    def on_event(self, event: str, msg: list[tuple[str, Any]]) -> None:
        if self.wants(event, msg):
            self.write(self.server.formatted(msg))

    def security_event(self, event: str, *fields: tuple[str, Any]) -> None:
        now = self.server.pbx.clock.now()
        self.server.pbx.emit(event, "security,all", [
            ("EventTV", event_tv(now)), ("Severity", "Error" if event != "SuccessfulAuth" else "Informational"),
            ("Service", "AMI"), ("EventVersion", "1"), *fields])

    async def close(self) -> None:
        self.flush()
        self.closing = True
        try:
            await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        self.writer.close()


class AmiServer:
    def __init__(self, pbx: Pbx, *, host: str = "127.0.0.1", port: int = 5038, auth_fail_delay: float = 1.0,
                 rng: random.Random | None = None) -> None:
        self.pbx = pbx
        self.host = host
        self.port = port
        self.auth_fail_delay = auth_fail_delay
        self.rng = rng or random.Random()
        self.sessions: set[AmiSession] = set()
        self._server: asyncio.base_events.Server | None = None
        self._conn_tasks: set[asyncio.Task] = set()
        self._categories: dict[str, int] = {}
        commands = json.loads(resources.files("asterisk_standin").joinpath("data/ami_commands.json").read_text("utf-8"))
        self.authorities = action_authorities([(name, line) for name, line in commands])
        self._last: tuple[object, bytes] = (None, b"")
        # Asterisk answers AMI before its modules are loaded: until FullyBooted, app_queue's actions are unknown
        self.booting = False

    def category(self, privilege: str) -> int:
        mask = self._categories.get(privilege)
        if mask is None:
            mask = self._categories[privilege] = event_category(privilege)
        return mask

    def formatted(self, msg: list[tuple[str, Any]]) -> bytes:
        """The wire bytes of an event, formatted once for all sessions that get it."""
        if self._last[0] is not msg:
            self._last = (msg, format_message(msg))
        return self._last[1]

    def _fully_booted(self) -> list[tuple[str, Any]]:
        uptime = int(self.pbx.clock.now() - self.pbx.start_time)
        return [("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", uptime),
                ("LastReload", int(self.pbx.clock.now() - self.pbx.reload_time)), ("Status", "Fully Booted")]

    def finish_boot(self) -> None:
        """Every module is loaded: app_queue answers, and FullyBooted goes out as a system event."""
        self.booting = False
        fields = self._fully_booted()[2:]
        self.pbx.emit("FullyBooted", "system,all", fields)
        for session in self.sessions:
            session.flush()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.closing = True
            session.writer.close()
        if self._conn_tasks:
            await asyncio.wait(list(self._conn_tasks), timeout=1.0)
        for task in list(self._conn_tasks):
            task.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._conn_tasks.add(task)
        session = AmiSession(self, reader, writer)
        self.sessions.add(session)
        self.pbx.add_listener(session.on_event)
        try:
            writer.write(ami_wire.BANNER)
            while not session.closing:
                data = await reader.read(65536)
                if not data:
                    break
                for item in session.parser.feed(data):
                    await self._dispatch(session, item)
                    if session.closing:
                        break
                session.flush()
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            log.debug("AMI connection handler cancelled at shutdown")
        finally:
            self.pbx.remove_listener(session.on_event)
            self.sessions.discard(session)
            session.closing = True
            writer.close()
            if task is not None:
                self._conn_tasks.discard(task)

    async def _dispatch(self, session: AmiSession, item: Request | LineTooLong) -> None:
        if isinstance(item, LineTooLong):
            session.send(error(None, "Failed to parse message: line too long"))
            return
        aid = item.action_id
        if item.too_many_lines:
            session.send(error(aid, "Too many lines in message or allocation failure"))
            return
        action = item.action
        if not action:
            session.send(error(aid, "Missing action in request"))
            return
        name = action.lower()
        if not session.authenticated and name not in ("login", "challenge", "logoff"):
            session.send(error(aid, "Permission denied"))
            return
        handler = ACTIONS.get(name)
        if self.booting and name.startswith("queue"):
            handler = None
        if handler is None:
            session.send(error(aid, f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands."))
            session.security_event("RequestBadFormat", ("SessionID", session.session_id), ("LocalAddress", session.local),
                                   ("RemoteAddress", session.remote), ("RequestType", f"Action: {action}"),
                                   ("SessionTV", event_tv(session.opened)), ("AccountID", session.username or ""))
            return
        authority = self.authorities.get(name, 0)
        if authority and session.authenticated and not session.writeperm & authority:
            session.send(error(aid, "Permission denied"))
            return
        try:
            await handler(self, session, item)
        except Exception:  # noqa: BLE001 - one bad action must not kill the session
            log.exception("AMI action %s failed", action)
            session.send(error(aid, "Internal error"))

    # ---- authentication --------------------------------------------------------------------
    async def login(self, session: AmiSession, req: Request) -> None:
        aid = req.action_id
        user = self.pbx.config.users.get(req.get("Username"))
        ok = False
        if user is not None:
            if req.get("AuthType").lower() == "md5" and session.challenge is not None:
                expected = hashlib.md5((session.challenge + user.secret).encode()).hexdigest()
                ok = req.get("Key").lower() == expected
            else:
                ok = req.get("Secret") == user.secret and user.secret != ""
        if not ok:
            await asyncio.sleep(self.auth_fail_delay)
            session.send(error(aid, "Authentication failed"))
            await session.close()
            return
        session.username = user.name
        session.readperm = perm_mask(user.read)
        session.writeperm = perm_mask(user.write)
        session.filters = user.filters.copy()
        mask = events_mask(req.get("Events").strip())
        if mask >= 0:
            session.send_events = mask
        session.send(ami_wire.success(aid, "Authentication accepted"))
        system = PERMS["system"]
        if session.send_events & system and session.readperm & system and not self.booting:
            session.send(self._fully_booted())  # written directly: no eventfilter (manager.c)
        now = self.pbx.clock.now()
        auth = [("Event", "SuccessfulAuth"), ("Privilege", "security,all"), ("EventTV", event_tv(now)),
                ("Severity", "Informational"), ("Service", "AMI"), ("EventVersion", "1"), ("AccountID", user.name),
                ("SessionID", session.session_id), ("LocalAddress", session.local), ("RemoteAddress", session.remote),
                ("UsingPassword", "0"), ("SessionTV", event_tv(session.opened))]
        if session.wants("SuccessfulAuth", auth):
            session.send(auth)
