"""工单查询 on the phone (issue 13.3): a caller hears where a request stands without an agent.

TTS-free: the ticket number is read with SAY DIGITS and the status is one catalogued prompt per
status; the department's reply text is not spoken (no prompt can hold free text), so it is offered
through an agent (key 0). A caller whose number has requests in progress is offered the latest one
first. A number of the wrong length or one not found gets a clear prompt and one retry, then an agent.
"""
from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Protocol

from ivr.fastagi import CommandFailed, GetData, SayDigits, StreamFile, WaitForDigit
from ivr.frontend.driver import Effect
from ivr.frontend.menu_flow import ANY_KEY

TICKET_DIGITS = 14
STATUS_PROMPTS = {
    "draft": "hotline/status-registered", "registered": "hotline/status-registered",
    "dispatched": "hotline/status-in-progress", "accepted": "hotline/status-in-progress",
    "returned": "hotline/status-in-progress", "replied": "hotline/status-replied",
    "callback": "hotline/status-replied", "closed": "hotline/status-closed", "reopened": "hotline/status-reopened",
}
PROMPTS = ("hotline/status-enter-number", "hotline/status-wrong-length", "hotline/status-not-found",
           "hotline/status-to-agent", "hotline/status-open-tickets", "hotline/status-open-choice",
           "hotline/status-reply-offer", *sorted(set(STATUS_PROMPTS.values())))


@dataclass(frozen=True)
class TicketStatus:
    number: str
    status: str
    has_reply: bool


class StatusLookup(Protocol):
    def find(self, number: str) -> Any: ...                 # -> TicketStatus | None
    def open_for_caller(self, caller: str) -> Any: ...      # -> list[TicketStatus], newest first


@dataclass
class StatusResult:
    next: str = "hangup"            # hangup | agent
    ticket: str | None = None       # the request the caller heard about
    reason: str = ""


def _key(prompt: str, keys: str, timeout_ms: int = 5000) -> Generator[Any, Any, str | None]:
    played = yield StreamFile(prompt, ANY_KEY)
    digit = played.digit
    if digit is None:
        try:
            digit = yield WaitForDigit(timeout_ms)
        except CommandFailed:
            return None
    return digit if digit is not None and digit in keys else None


def status_line(lookup: StatusLookup, caller: str | None, notes: list[str]) -> Generator[Any, Any, StatusResult]:
    result = StatusResult()
    ticket: TicketStatus | None = None
    if caller:
        try:
            mine = yield Effect(lookup.open_for_caller, caller)
        except Exception as exc:  # noqa: BLE001 - no offer, the caller can still enter a number
            notes.append(f"status line: open tickets unavailable: {type(exc).__name__}: {exc}")
            mine = []
        if mine:
            latest = mine[0]
            yield StreamFile("hotline/status-open-tickets", "")
            yield SayDigits(latest.number, "")
            key = yield from _key("hotline/status-open-choice", "120")
            if key == "1":
                ticket = latest
            elif key == "0":
                return StatusResult("agent", latest.number, "caller asked for an agent")
    if ticket is None:
        for _ in range(2):  # the first try and one retry
            entered = yield GetData("hotline/status-enter-number", 10000, TICKET_DIGITS)
            digits = entered.digits
            if len(digits) != TICKET_DIGITS or not digits.isdigit():
                yield StreamFile("hotline/status-wrong-length", "")
                continue
            try:
                found = yield Effect(lookup.find, digits)
            except Exception as exc:  # noqa: BLE001 - the store is down: an agent helps
                notes.append(f"status line: lookup failed: {type(exc).__name__}: {exc}")
                found = None
            if found is None:
                yield StreamFile("hotline/status-not-found", "")
                continue
            ticket = found
            break
        if ticket is None:
            yield StreamFile("hotline/status-to-agent", "")
            return StatusResult("agent", None, "no valid ticket number after one retry")
    result.ticket = ticket.number
    yield StreamFile("hotline/ticket-number", "")
    yield SayDigits(ticket.number, "")
    yield StreamFile(STATUS_PROMPTS.get(ticket.status, "hotline/status-in-progress"), "")
    if ticket.has_reply:
        key = yield from _key("hotline/status-reply-offer", "0")
        if key == "0":
            result.next, result.reason = "agent", "caller wants the reply read out"
    return result


class TicketStatusLookup:
    """Adapter onto tickets.TicketService (status and whether there is a reply; no content leaves)."""

    OPEN = ("registered", "dispatched", "accepted", "returned", "replied", "callback", "reopened")

    def __init__(self, tickets) -> None:
        self._tickets = tickets

    async def find(self, number: str) -> TicketStatus | None:
        from tickets.errors import TicketNotFound

        try:
            t = await self._tickets.get(number)
        except TicketNotFound:
            return None
        return TicketStatus(t.number, t.status.value, bool(t.reply))

    async def open_for_caller(self, caller: str) -> list[TicketStatus]:
        found = await self._tickets.search(caller=caller, status=self.OPEN, limit=20)
        found = sorted(found, key=lambda t: t.created_at, reverse=True)
        return [TicketStatus(t.number, t.status.value, bool(t.reply)) for t in found]
