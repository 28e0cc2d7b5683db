"""Reading and writing the recordings catalogue (the `recording` table). Only this module
writes rows; callers get immutable `RecordingView`s."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .errors import RecordingNotFound
from .filecheck import FileCheck
from .models import STATE_LABELS, Recording, State


def mask_number(number: str | None) -> str:
    """138****8000: lists show who called without exposing the whole number."""
    if not number:
        return ""
    n = len(number)
    if n <= 4:
        return "*" * n
    head, tail = (3, 4) if n >= 11 else (2, 3) if n >= 8 else (1, 2)
    return number[:head] + "*" * (n - head - tail) + number[-tail:]


@dataclass(frozen=True)
class Pause:
    started: datetime
    ended: datetime | None
    direction: str

    def offsets(self, origin: datetime) -> tuple[float, float | None]:
        end = (self.ended - origin).total_seconds() if self.ended else None
        return (self.started - origin).total_seconds(), end


@dataclass(frozen=True)
class RecordingView:
    id: int
    server: str
    linkedid: str
    channel: str
    line: str | None
    queue: str | None
    agent_interface: str | None
    agent_name: str | None
    caller_number: str | None
    ticket_number: str | None
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float | None
    file_path: str
    size_bytes: int | None
    sha256: str | None
    file_mtime_ns: int | None
    state: State
    problem: str | None
    pauses: tuple[Pause, ...]
    verified_at: datetime | None
    deleted_at: datetime | None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def caller_masked(self) -> str:
        return mask_number(self.caller_number)

    @property
    def playable(self) -> bool:
        return self.state is State.COMPLETE

    @classmethod
    def of(cls, row: Recording) -> RecordingView:
        pauses = tuple(Pause(datetime.fromisoformat(p["from"]), datetime.fromisoformat(p["to"]) if p.get("to")
                             else None, p.get("direction", "both")) for p in row.pauses or [])
        return cls(row.id, row.server, row.linkedid, row.channel, row.line, row.queue, row.agent_interface,
                   row.agent_name, row.caller_number, row.ticket_number, row.started_at, row.ended_at,
                   row.duration_seconds, row.file_path, row.size_bytes, row.sha256, row.file_mtime_ns,
                   State(row.state), row.problem, pauses, row.verified_at, row.deleted_at)


@dataclass(frozen=True)
class Search:
    since: datetime | None = None
    until: datetime | None = None
    agent: str | None = None       # interface or name, substring
    queue: str | None = None
    ticket: str | None = None
    number: str | None = None      # caller number, substring
    line: str | None = None
    states: tuple[State, ...] = ()
    limit: int = 200


class Catalogue:
    def __init__(self, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    async def open(self, *, server: str, linkedid: str, channel: str, file_path: str, started_at: datetime,
                   line: str | None = None, queue: str | None = None, agent_interface: str | None = None,
                   agent_name: str | None = None, caller_number: str | None = None,
                   ticket_number: str | None = None) -> RecordingView:
        row = Recording(server=server, linkedid=linkedid, channel=channel, file_path=file_path,
                        started_at=started_at, line=line or None, queue=queue or None,
                        agent_interface=agent_interface or None, agent_name=agent_name or None,
                        caller_number=caller_number or None, ticket_number=ticket_number or None,
                        state=State.RECORDING.value, pauses=[])
        async with self._sessions() as session, session.begin():
            session.add(row)
        return RecordingView.of(row)

    async def _change(self, recording_id: int, change: Callable[[Recording], None]) -> RecordingView:
        async with self._sessions() as session, session.begin():
            row = await session.get(Recording, recording_id, with_for_update=True)
            if row is None:
                raise RecordingNotFound(recording_id)
            change(row)
            return RecordingView.of(row)

    async def get(self, recording_id: int) -> RecordingView:
        async with self._sessions() as session:
            row = await session.get(Recording, recording_id)
            if row is None:
                raise RecordingNotFound(recording_id)
            return RecordingView.of(row)

    async def confirm_start(self, recording_id: int, at: datetime) -> RecordingView:
        def change(row: Recording) -> None:
            row.started_at = at
        return await self._change(recording_id, change)

    async def pause_changed(self, recording_id: int, paused: bool, at: datetime, direction: str) -> RecordingView:
        """MixMonitorMute State 1 opens an interval, State 0 closes the open one; repeats change nothing."""
        def change(row: Recording) -> None:
            pauses = [dict(p) for p in row.pauses or []]
            open_ = pauses and pauses[-1].get("to") is None
            if paused and not open_:
                pauses.append({"from": at.isoformat(), "to": None, "direction": direction})
            elif not paused and open_:
                pauses[-1]["to"] = at.isoformat()
            row.pauses = pauses
        return await self._change(recording_id, change)

    async def set_ticket(self, recording_id: int, ticket_number: str) -> RecordingView:
        def change(row: Recording) -> None:
            row.ticket_number = ticket_number or None
        return await self._change(recording_id, change)

    async def link_ticket(self, linkedid: str, ticket_number: str) -> list[RecordingView]:
        """A ticket created after the call (by the agent) is attached to all of the call's recordings."""
        async with self._sessions() as session, session.begin():
            rows = list(await session.scalars(select(Recording).where(Recording.linkedid == linkedid)))
            for row in rows:
                row.ticket_number = ticket_number
            return [RecordingView.of(r) for r in rows]

    async def finish(self, recording_id: int, at: datetime) -> RecordingView:
        def change(row: Recording) -> None:
            row.ended_at = row.ended_at or at
            pauses = [dict(p) for p in row.pauses or []]
            if pauses and pauses[-1].get("to") is None:
                pauses[-1]["to"] = row.ended_at.isoformat()
                row.pauses = pauses
        return await self._change(recording_id, change)

    async def record_check(self, recording_id: int, state: State, check: FileCheck | None,
                           problem: str | None, *, first: bool) -> RecordingView:
        """The outcome of a verification; the first one fixes size and checksum for all later ones."""
        now = self._clock()

        def change(row: Recording) -> None:
            if row.state == State.DELETED.value:
                return
            row.state, row.problem, row.verified_at = state.value, problem, now
            if check is not None and check.exists:
                row.file_mtime_ns = check.mtime_ns  # what the quick check compares with next time
                if first:
                    row.size_bytes, row.sha256 = check.size, check.sha256
                    row.duration_seconds = round(check.wav.duration, 3) if check.wav else None
        return await self._change(recording_id, change)

    async def mark_deleted(self, recording_id: int, at: datetime) -> RecordingView:
        def change(row: Recording) -> None:
            row.state, row.deleted_at = State.DELETED.value, at
        return await self._change(recording_id, change)

    async def in_progress(self, server: str | None = None) -> list[RecordingView]:
        query = select(Recording).where(Recording.state == State.RECORDING.value)
        if server is not None:
            query = query.where(Recording.server == server)
        async with self._sessions() as session:
            return [RecordingView.of(r) for r in await session.scalars(query.order_by(Recording.id))]

    async def older_than(self, before: datetime, states: Iterable[State], limit: int = 1000,
                         after_id: int = 0) -> list[RecordingView]:
        query = (select(Recording).where(Recording.started_at < before, Recording.id > after_id,
                                         Recording.state.in_([s.value for s in states]))
                 .order_by(Recording.id).limit(limit))
        async with self._sessions() as session:
            return [RecordingView.of(r) for r in await session.scalars(query)]

    async def search(self, s: Search) -> list[RecordingView]:
        query = select(Recording)
        if s.since is not None:
            query = query.where(Recording.started_at >= s.since)
        if s.until is not None:
            query = query.where(Recording.started_at < s.until)
        if s.agent:
            like = f"%{_escape(s.agent)}%"
            query = query.where(or_(Recording.agent_interface.like(like, escape="\\"),
                                    Recording.agent_name.like(like, escape="\\")))
        if s.queue:
            query = query.where(Recording.queue == s.queue)
        if s.ticket:
            query = query.where(Recording.ticket_number == s.ticket)
        if s.number:
            query = query.where(Recording.caller_number.like(f"%{_escape(s.number)}%", escape="\\"))
        if s.line:
            query = query.where(Recording.line == s.line)
        if s.states:
            query = query.where(Recording.state.in_([st.value for st in s.states]))
        query = query.order_by(Recording.started_at.desc(), Recording.id.desc()).limit(s.limit)
        async with self._sessions() as session:
            return [RecordingView.of(r) for r in await session.scalars(query)]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
