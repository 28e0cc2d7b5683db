"""Builds the `ivr` FastAGI route from the running engine's services and configuration."""
from __future__ import annotations

import asyncio

from hotline.spool import JsonSpool
from ivr.frontend.draft_spool import SpooledDrafts
from ivr.frontend.handler import make_ivr_handler
from ivr.frontend.menus import DEFAULT_MENUS, load_menus
from ivr.frontend.ports import IvrDeps, Linkage
from ivr.frontend.status_line import TicketStatusLookup


class TicketLinkageLog:
    """Adapter: the front end's linkage log onto the ticket history (TicketService.log_linkage)."""

    def __init__(self, tickets) -> None:
        self._tickets = tickets

    async def record_linkage(self, ticket_number: str, linkage: Linkage) -> None:
        await self._tickets.log_linkage(ticket_number, at=linkage.at, target=linkage.target,
                                        trigger=linkage.trigger, trigger_kind=linkage.trigger_kind,
                                        result=linkage.result)


class LedgerFollow:
    """Adapter: the front end's emergency decision onto the linkage ledger (TransferService.follow_ivr).

    The transfer service starts after the FastAGI routes are built, so it is looked up per call."""

    def __init__(self, services, timeout: float = 1.0) -> None:
        self._services = services
        self._timeout = timeout

    async def follow(self, channel: str, call_id: str | None, caller: str | None, ticket: str | None,
                     linkage: Linkage) -> None:
        transfers = self._services.get("transfers")
        if transfers is None:
            return
        async with asyncio.timeout(self._timeout):  # the caller must reach 110/119 even if the database stalls
            await transfers.follow_ivr(channel=channel, linkedid=call_id, caller=caller, target=linkage.target,
                                             ticket=ticket, trigger=linkage.trigger)


def make_ivr_route(engine, *, linkage_follow=None):
    """`linkage_follow` replaces the in-process ledger adapter (the IVR worker sends it to the engine)."""
    config = engine.config.ivr
    services = engine.services
    tickets = services["tickets"]
    # drafts wait on disk rather than on a stalled database (filed by engine's draft-spool task)
    drafts = services.setdefault("draft_spool", SpooledDrafts(tickets, JsonSpool(engine.config.engine.data_dir / "drafts")))
    deps = IvrDeps(
        settings=config.front_end(), menus=load_menus(config.menus_file or DEFAULT_MENUS),
        lines=services["lines"], tickets=drafts, clock=engine.clock,
        recordings_dir=config.intake_dir.resolve(), live=services.get("floor"),
        transcriber=services.get("transcriber"), classifier=services.get("classifier"),
        emergency=services.get("emergency"), linkage_log=TicketLinkageLog(tickets),
        linkage_follow=linkage_follow or LedgerFollow(services), queue_waits=_queue_waits(services),
        status_lookup=TicketStatusLookup(tickets))
    return make_ivr_handler(deps)


def _queue_waits(services: dict):
    """The admin's per-queue 最长等待, read per call: the console saves it while calls come in."""
    def wait(queue: str) -> int | None:
        chosen = services.get("queue_settings")
        return chosen.max_wait(queue) if chosen is not None else None
    return wait
