"""Worker-side adapters for what the IVR hands to the engine process or reads from what admins save.

The worker never waits on the engine during a call: the emergency decision goes to the engine's
linkage ledger as a message (`LinkedLedgerFollow`), and an admin's save arrives as a message the
worker answers by re-reading its own copy from the database (`SettingsReload`).
"""
from __future__ import annotations

import asyncio
import logging

from agent_console.admin.store import CLASSIFIER_RULES, EMERGENCY_RULES, SettingsStore
from ivr.frontend.ports import Linkage
from queues.queue_settings import STORE_KEY as QUEUE_SETTINGS, QueueSettingsError, QueueSettingsService

log = logging.getLogger("hotline.ivr_worker")


class LinkedLedgerFollow:
    """ivr.frontend.ports.LinkageFollow over the link: the engine runs TransferService.follow_ivr, which
    opens the ledger row and follows the dialplan's Dial() in its AMI events (the engine owns those)."""

    def __init__(self, link, fallback=None, timeout: float = 1.0) -> None:
        self._link = link
        self._fallback = fallback  # LedgerRowWriter: when the engine cannot take the message
        self._timeout = timeout

    def follow(self, channel: str, call_id: str | None, caller: str | None, ticket: str | None,
               linkage: Linkage):
        fields = dict(channel=channel, linkedid=call_id, caller=caller, target=linkage.target, ticket=ticket,
                      trigger=linkage.trigger)
        if self._link.send("follow_ivr", **fields):
            return None
        log.error("ivr_worker.follow_lost channel=%s ticket=%s target=%s: the engine did not take it%s",
                  channel, ticket, linkage.target, "; the ledger row is written directly" if self._fallback else "")
        return self._write(fields) if self._fallback is not None else None

    async def _write(self, fields: dict) -> None:
        async with asyncio.timeout(self._timeout):  # the caller must reach 110/119 even if the database stalls
            await self._fallback.open(**fields)


class LedgerRowWriter:
    """The ledger row TransferService.follow_ivr opens, written by the worker itself (state dialing):
    the engine was not there to follow the Dial(), so the row stays without its outcome, not missing."""

    def __init__(self, sessions, clock, emergency_targets) -> None:
        from transfer.ledger import Ledger

        self._ledger = Ledger(sessions)
        self._clock = clock
        self._targets = dict(emergency_targets)

    async def open(self, *, channel: str, linkedid: str | None, caller: str | None, target: str,
                   ticket: str | None, trigger: str) -> None:
        from transfer.service import IVR_ACTOR, SUMMARY_MAX
        from transfer.states import State

        await self._ledger.open(
            kind="emergency", ticket=ticket, citizen_number=caller or None, linkedid=linkedid or "",
            citizen_channel=channel, agent_channel="", target=target, dial=self._targets.get(target, target),
            mode="blind", actor=IVR_ACTOR, state=State.DIALING.value, result=None,
            detail="引擎未接收，未跟踪结果", summary=" ".join(trigger.split())[:SUMMARY_MAX], started_at=self._clock())


class SettingsReload:
    """The worker's copies of what admins edit: lines (a cache), 队列设置 (最长等待) and keyword rules."""

    def __init__(self, services: dict, store: SettingsStore) -> None:
        self._services = services
        self._store = store

    async def load(self) -> None:
        """At start and after any console setting changed: the same reading as the engine's start-up."""
        from agent_console.admin.runtime import use_rules
        from ivr.classify.errors import RuleError

        try:
            self._services["queue_settings"] = await QueueSettingsService.load(self._store)
        except QueueSettingsError as exc:
            log.error("stored queue settings ignored (%s): using the defaults", exc.message)
            self._services["queue_settings"] = QueueSettingsService(self._store)
        try:
            use_rules(self._services, await self._store.get(CLASSIFIER_RULES), await self._store.get(EMERGENCY_RULES))
        except RuleError as exc:
            log.error("stored keyword rules ignored (%s): using the configured files", exc)

    async def changed(self, what: str) -> None:
        if what == "lines":
            self._services["lines"].invalidate()  # the next call reads the table again
        elif what in (QUEUE_SETTINGS, CLASSIFIER_RULES, EMERGENCY_RULES):
            await self.load()
        log.info("ivr_worker.reloaded %s", what)
