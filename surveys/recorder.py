"""Where a survey's answer goes: the shared 回访 record (callbacks/ `CallbackService.record_attempt`,
see /work/wt/notes/h13a-api.md) when the engine has it, else straight onto the ticket.

One call shape for both: `record_attempt(number, channel="survey", outcome=..., actor="survey",
resolved=..., satisfaction=..., note=..., key=...)`, returning something with `.action`
(closed | reopened | unreachable | pending | duplicate).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from tickets.errors import TicketError

log = logging.getLogger("surveys.recorder")
REOPEN_NOTE = "语音回访：市民不满意或问题未解决，重办"


class AttemptRecorder(Protocol):
    async def record_attempt(self, number: str, *, channel: str, outcome: str, actor: str,
                             resolved: bool | None = None, satisfaction: str | None = None,
                             note: str | None = None, key: str | None = None) -> Any: ...


@dataclass(frozen=True)
class Recorded:
    action: str
    duplicate: bool = False


class TicketRecorder:
    """Stand-alone fallback (no callbacks/ service): an answered survey becomes 回访评价 and then 办结,
    or 重办 to the same lead department and co-handlers; a failed call leaves the ticket as it is (the
    survey_job row keeps it). Idempotent on `key` only through the job's own state."""

    def __init__(self, tickets) -> None:
        self._tickets = tickets

    async def record_attempt(self, number: str, *, channel: str, outcome: str, actor: str,
                             resolved: bool | None = None, satisfaction: str | None = None,
                             note: str | None = None, key: str | None = None) -> Recorded:
        if outcome != "reached":
            return Recorded("pending")
        ticket = await self._tickets.get(number)
        if ticket.status.value != "replied":
            return Recorded("duplicate", duplicate=True)  # recorded before (or by an agent meanwhile)
        await self._tickets.record_callback(number, satisfaction, note, actor)
        if resolved and satisfaction != "dissatisfied":
            await self._tickets.close(number, actor)
            return Recorded("closed")
        await self._tickets.reopen(number, note or REOPEN_NOTE, actor)
        lead = ticket.lead_department
        if lead is not None:
            try:
                await self._tickets.dispatch(number, lead.code, [d.code for d in ticket.co_departments], actor)
            except TicketError as exc:  # e.g. the department was deactivated: the center re-dispatches
                log.warning("surveys.redispatch_failed ticket=%s dept=%s: %s", number, lead.code, exc)
        return Recorded("reopened")


class ServiceRecorder:
    """Looks the shared service up per call (it is built by a later cleanup context), else the fallback."""

    def __init__(self, services: dict, tickets) -> None:
        self._services = services
        self._fallback = TicketRecorder(tickets)

    async def record_attempt(self, number: str, **fields: Any) -> Any:
        shared = self._services.get("callbacks")
        if shared is not None:
            return await shared.record_attempt(number, **fields)
        return await self._fallback.record_attempt(number, **fields)
