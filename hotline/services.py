"""The capability services, built once from the configuration and handed to whoever needs them."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from hotline.config import Config


async def build_services(config: Config, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> dict:
    from agent_console.accounts.service import AccountService
    from ivr.classify.classifier import Classifier
    from ivr.classify.emergency import EmergencyDetector, default_emergency_rules, load_emergency_rules
    from ivr.classify.rules import default_rules, load_rules
    from ivr.classify.segmenter import Segmenter
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
    segmenter = Segmenter()  # one jieba for classification and knowledge-base search
    classifier = Classifier(load_rules(config.ivr.classify_rules_file) if config.ivr.classify_rules_file
                            else default_rules(), segmenter)
    await classifier.start()
    emergency = EmergencyDetector(load_emergency_rules(config.ivr.emergency_words_file)
                                  if config.ivr.emergency_words_file else default_emergency_rules())
    return {
        "segmenter": segmenter,
        "classifier": classifier,
        "emergency": emergency,
        "tickets": TicketService(sessions, clock, calendar, rules),
        "lines": LineService(sessions),
        "accounts": AccountService(sessions),
    }


def agi_routes(engine) -> dict[str, Callable]:
    """FastAGI script path -> handler. `ivr` is the citizen's front end."""
    routes: dict[str, Callable] = {}
    from ivr.frontend.wiring import make_ivr_route

    routes["ivr"] = make_ivr_route(engine)
    return routes
