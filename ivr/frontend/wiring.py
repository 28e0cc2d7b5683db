"""Builds the `ivr` FastAGI route from the running engine's services and configuration."""
from __future__ import annotations

from ivr.frontend.handler import make_ivr_handler
from ivr.frontend.menus import DEFAULT_MENUS, load_menus
from ivr.frontend.ports import IvrDeps, Linkage


class TicketLinkageLog:
    """Adapter: the front end's linkage log onto the ticket history (TicketService.log_linkage)."""

    def __init__(self, tickets) -> None:
        self._tickets = tickets

    async def record_linkage(self, ticket_number: str, linkage: Linkage) -> None:
        await self._tickets.log_linkage(ticket_number, at=linkage.at, target=linkage.target,
                                        trigger=linkage.trigger, trigger_kind=linkage.trigger_kind,
                                        result=linkage.result)


def make_ivr_route(engine):
    config = engine.config.ivr
    services = engine.services
    tickets = services["tickets"]
    deps = IvrDeps(
        settings=config.front_end(), menus=load_menus(config.menus_file or DEFAULT_MENUS),
        lines=services["lines"], tickets=tickets, clock=engine.clock,
        recordings_dir=config.intake_dir.resolve(), live=services.get("floor"),
        transcriber=services.get("transcriber"), classifier=services.get("classifier"),
        emergency=services.get("emergency"), linkage_log=TicketLinkageLog(tickets))
    return make_ivr_handler(deps)
