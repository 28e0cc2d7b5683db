"""The capability services, built once from the configuration and handed to whoever needs them."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from hotline.config import Config


async def build_services(config: Config, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> dict:
    from agent_console.accounts.service import AccountService
    from queues.lines import LineService
    from tickets.deadlines import DeadlineRules, seed_default_rules
    from tickets.service import TicketService
    from tickets.workcalendar import WorkCalendar

    await seed_default_rules(sessions)
    async with sessions() as session:
        rules = await DeadlineRules.load(session)
    calendar = WorkCalendar.shipped()
    if config.tickets.calendar_files:
        calendar = WorkCalendar.merge([calendar, WorkCalendar.from_files(config.tickets.calendar_files)])
    return {
        "tickets": TicketService(sessions, clock, calendar, rules),
        "lines": LineService(sessions),
        "accounts": AccountService(sessions),
    }


def agi_routes(engine) -> dict[str, Callable]:
    """FastAGI script path -> handler. `ivr` is the citizen's front end."""
    routes: dict[str, Callable] = {}
    try:
        from ivr.frontend.wiring import make_ivr_route
    except ImportError:  # TODO(lead): the front end lands with its issue
        return routes
    routes["ivr"] = make_ivr_route(engine)
    return routes
