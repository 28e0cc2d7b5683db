"""Worker-side adapters for what the IVR hands to the engine process or reads from what admins save.

The worker never waits on the engine during a call: the emergency decision goes to the engine's
linkage ledger as a message (`LinkedLedgerFollow`), and an admin's save arrives as a message the
worker answers by re-reading its own copy from the database (`SettingsReload`).
"""
from __future__ import annotations

import logging

from agent_console.admin.store import CLASSIFIER_RULES, EMERGENCY_RULES, SettingsStore
from ivr.frontend.ports import Linkage
from queues.queue_settings import STORE_KEY as QUEUE_SETTINGS, QueueSettingsError, QueueSettingsService

log = logging.getLogger("hotline.ivr_worker")


class LinkedLedgerFollow:
    """ivr.frontend.ports.LinkageFollow over the link: the engine runs TransferService.follow_ivr, which
    opens the ledger row and follows the dialplan's Dial() in its AMI events (the engine owns those)."""

    def __init__(self, link) -> None:
        self._link = link

    def follow(self, channel: str, call_id: str | None, caller: str | None, ticket: str | None,
               linkage: Linkage) -> None:
        if not self._link.send("follow_ivr", channel=channel, linkedid=call_id, caller=caller, target=linkage.target,
                               ticket=ticket, trigger=linkage.trigger):
            # the linkage itself is on the ticket's history (TicketLinkageLog); only the ledger row is missing
            log.error("ivr_worker.follow_lost channel=%s ticket=%s target=%s: the engine did not take it",
                      channel, ticket, linkage.target)


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
