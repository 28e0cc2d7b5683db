"""ScreenPops: a floor listener that opens a pop when a queue call rings at an agent's phone.

AgentCalled opens (or replaces) the pop of that phone and loads what the agent needs off the
event path: the call's IVR variables (call tracker, by Linkedid), the ticket draft named by
HOTLINE_TICKET, the caller's earlier tickets with possible duplicates flagged, and the
classifier's guesses. A call that skipped intake has no draft: `ensure_draft` makes one when the
agent starts registering (not on answer: a call answered at a phone nobody watches in the
console must not leave an empty draft). AgentConnect reloads (the
transcript may have finished meanwhile); AgentRingNoAnswer drops a pop that was only ringing;
AgentComplete keeps it so the agent can finish the ticket during wrap-up.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tickets.errors import TicketError
from tickets.validation import mask_number, normalize_caller
from tickets.views import format_local

from .duplicates import duplicate_numbers, ticket_text
from .index import PopIndex
from .ivrpath import ivr_path

log = logging.getLogger(__name__)

MAX_EARLIER = 10


@dataclass
class Pop:
    server: str
    interface: str
    linkedid: str
    queue: str
    caller: str
    caller_name: str
    opened_at: datetime
    state: str = "ringing"            # ringing | talking | ended
    ended_at: datetime | None = None  # the hang-up: the desk counts the wrap-up time from it
    line: str = ""
    line_name: str = ""
    path: list[str] = field(default_factory=list)
    ticket: object | None = None      # TicketView
    earlier: list = field(default_factory=list)
    duplicates: set[str] = field(default_factory=set)
    guess: dict | None = None
    loading: bool = True
    problem: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)  # loads of one pop run in order


class ScreenPops:
    def __init__(self, services: dict, clock: Callable[[], datetime], changed: Callable[[], None],
                 completed: Callable[[str], None] | None = None) -> None:
        """`completed(interface)`: a pop finished loading; its agent's page should get it now, not next window."""
        self._services = services
        self._clock = clock
        self._changed = changed
        self._completed = completed
        self.pops = PopIndex()
        self._tasks: set[asyncio.Task] = set()

    # --- floor listener ----------------------------------------------------------------------
    def on_floor(self, kind: str, event: object) -> None:
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(event)

    def _key(self, event) -> tuple[str, str]:
        return (event.server or "", event.interface)

    def _open(self, e) -> Pop:
        caller = e.channel.caller_id_num if e.channel else ""
        name = e.channel.caller_id_name if e.channel else ""
        pop = Pop(e.server or "", e.interface, e.linkedid, e.queue, caller if caller != "<unknown>" else "",
                  name if name != "<unknown>" else "", self._clock())
        self.pops[self._key(e)] = pop
        return pop

    def _on_AgentCalled(self, e) -> None:
        self._load(self._open(e))

    def _on_AgentConnect(self, e) -> None:
        pop = self.pops.get(self._key(e))
        if pop is None or pop.linkedid != e.linkedid:  # AgentCalled missed (e.g. during a reconnect)
            pop = self._open(e)
        pop.state = "talking"
        self._load(pop)

    def _on_AgentRingNoAnswer(self, e) -> None:
        pop = self.pops.get(self._key(e))
        if pop is not None and pop.linkedid == e.linkedid and pop.state == "ringing":
            del self.pops[self._key(e)]

    def _on_AgentComplete(self, e) -> None:
        pop = self.pops.get(self._key(e))
        if pop is not None and pop.linkedid == e.linkedid:
            pop.state = "ended"
            pop.ended_at = self._clock()

    # --- loading ------------------------------------------------------------------------------
    def _load(self, pop: Pop) -> None:
        task = asyncio.get_running_loop().create_task(self._fill(pop), name=f"screen-pop {pop.linkedid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill(self, pop: Pop) -> None:
        try:
            async with pop.lock:
                await self._gather(pop)
        except Exception as exc:  # noqa: BLE001 - the pop shows what it has, the call goes on
            log.exception("screen pop for %s failed", pop.linkedid)
            pop.problem = f"部分来电信息加载失败：{type(exc).__name__}"
        pop.loading = False
        self._changed()
        if self._completed is not None and self.pops.get((pop.server, pop.interface)) is pop:
            self._completed(pop.interface)

    async def _gather(self, pop: Pop) -> None:
        services = self._services
        tracker = services.get("call_tracker")
        call = tracker.calls.get((pop.server, pop.linkedid)) if tracker is not None else None
        variables = dict(call.variables) if call is not None else {}
        visits = [v.queue for v in call.visits] if call is not None else []
        pop.line = variables.get("HOTLINE_LINE", "") or pop.line
        lines = services.get("lines")
        if pop.line and lines is not None:
            info = await lines.get(pop.line)
            pop.line_name = info.name if info else ""
        pop.path = ivr_path(variables, visits, pop.line_name)
        tickets = services["tickets"]
        number = variables.get("HOTLINE_TICKET", "") or (pop.ticket.number if pop.ticket else "")
        if number:
            pop.ticket = await tickets.get(number)
        text = ticket_text(pop.ticket) if pop.ticket else ""
        await self._earlier(pop, text)
        classifier = services.get("classifier")
        if text and classifier is not None and getattr(classifier, "ready", False):
            result = classifier.classify(text)
            pop.guess = {"type": result.best_type.label if result.best_type else "",
                         "category": result.best_category.label if result.best_category else "",
                         "matched": sorted({w for g in (result.best_type, result.best_category) if g
                                            for w in g.matched})}

    async def _earlier(self, pop: Pop, text: str) -> None:
        caller = callable_number(pop.caller)
        call_log = self._services.get("call_log")
        if caller is None:
            return
        if call_log is not None:
            history = await call_log.caller_history(caller)
            found = list(history.tickets)
        else:
            found = await self._services["tickets"].search(caller=caller, limit=20)
        current = pop.ticket.number if pop.ticket else None
        pop.earlier = [t for t in found if t.number != current][:MAX_EARLIER]
        pop.duplicates = duplicate_numbers(text, pop.earlier, self._clock())

    async def ensure_draft(self, interface: str | None, linkedid: str, actor: str):
        """The pop's draft, created now (by the agent) when the IVR made none; None if no such pop."""
        pop = self.pop_of(interface)
        if pop is None or pop.linkedid != linkedid:
            return None
        async with pop.lock:
            if pop.ticket is None:
                pop.ticket = await self._services["tickets"].create_draft(
                    actor=actor, caller=callable_number(pop.caller), channel="phone", call_id=pop.linkedid,
                    line_dialed=pop.line or None)
        self._changed()
        return pop.ticket

    async def reload_ticket(self, number: str) -> None:
        """After the agent changed the ticket: every pop showing it shows the new state."""
        for pop in list(self.pops.values()):  # a new call may open a pop meanwhile
            if pop.ticket is not None and pop.ticket.number == number:
                pop.ticket = await self._services["tickets"].get(number)
        self._changed()

    async def idle(self) -> None:
        """Wait until every pop being loaded is filled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            try:
                await task
            except asyncio.CancelledError:
                pass

    # --- what pages read ------------------------------------------------------------------------
    def pop_of(self, interface: str | None) -> Pop | None:
        if not interface:
            return None
        return self.pops.latest(interface)

    def dismiss(self, interface: str | None, linkedid: str) -> bool:
        if not interface:
            return False
        for key, pop in self.pops.at(interface):
            if pop.linkedid == linkedid:
                del self.pops[key]
                self._changed()
                return True
        return False

    def view(self, interface: str | None, *, supervisor: bool = False) -> dict | None:
        """JSON for the agent's page; confidential earlier tickets are redacted (their view is audited)."""
        pop = self.pop_of(interface)
        if pop is None:
            return None
        ticket = pop.ticket
        number = callable_number(pop.caller)
        return {
            "linkedid": pop.linkedid, "state": pop.state, "queue": pop.queue, "loading": pop.loading,
            "ended_at": pop.ended_at.isoformat() if pop.ended_at else None,
            "problem": pop.problem, "caller_masked": mask_number(number) or "未显示号码",
            "has_number": number is not None, "caller_name": pop.caller_name, "line": pop.line,
            "line_name": pop.line_name, "ivr_path": pop.path, "guess": pop.guess,
            "ticket": _ticket(ticket) if ticket is not None else None,
            "duplicate": bool(pop.duplicates),
            "earlier": [_earlier(t, t.number in pop.duplicates, supervisor) for t in pop.earlier],
        }


def callable_number(number: str) -> str | None:
    """The caller's number when it is one (withheld / 'anonymous' / odd caller IDs give None)."""
    try:
        return normalize_caller(number)
    except TicketError:
        return None


def _ticket(t) -> dict:
    return {"number": t.number, "status": t.status.value, "status_label": t.status.label,
            "request_type": t.request_type.label if t.request_type else "", "category": t.category or "",
            "content": t.content or "", "transcript": t.transcript or "",
            "transcript_status": t.transcript_status.label, "has_audio": bool(t.audio_ref),
            "urgency": t.urgency.value, "confidential": t.confidential, "reply": t.reply or "",
            "lead": t.lead_department.name if t.lead_department else ""}


def _earlier(t, duplicate: bool, supervisor: bool) -> dict:
    hidden = t.confidential and not supervisor
    return {"number": t.number, "created": format_local(t.created_at), "status_label": t.status.label,
            "request_type": t.request_type.label if t.request_type else "",
            "summary": "（保密工单，点击查看）" if hidden else ticket_text(t)[:80],
            "confidential": t.confidential, "duplicate": duplicate}
