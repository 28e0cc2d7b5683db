"""The capability services, built once from the configuration and handed to whoever needs them."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from hotline.config import Config


async def build_services(config: Config, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> dict:
    from tickets.deadlines import seed_default_rules

    await seed_default_rules(sessions)
    services = await build_call_services(config, sessions, clock)
    services["accounts"] = _accounts(config, sessions, clock)
    services["catalogue"] = _catalogue(sessions, clock)
    services["handling"] = _handling(config, sessions, services["tickets"])
    return services


async def build_call_services(config: Config, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> dict:
    """What a call needs: tickets (with 并单), lines, classification, emergency words. The engine builds
    these with the rest; the IVR worker process builds only these, on its own database engine."""
    from hotline.changes import SettingsChanges
    from ivr.classify.classifier import Classifier
    from ivr.classify.emergency import EmergencyDetector, default_emergency_rules, load_emergency_rules
    from ivr.classify.rules import default_rules, load_rules
    from ivr.classify.segmenter import Segmenter
    from queues.lines import LineService
    from tickets.deadlines import DeadlineRules
    from tickets.service import TicketService
    from tickets.workcalendar import WorkCalendar

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
    changes = SettingsChanges()  # admin saves, announced to the IVR worker process (hotline/ivr_worker/)
    return {
        "changes": changes,
        "segmenter": segmenter,
        "classifier": classifier,
        "emergency": emergency,
        "tickets": (tickets := TicketService(sessions, clock, calendar, rules)),
        "merging": _merging(tickets, config),
        "lines": LineService(sessions, changes=changes),
    }


def _handling(config: Config, sessions: async_sessionmaker, tickets):
    """Department handling (issue 12): 二级派单, review, attachments on disk, 申请延期."""
    from zoneinfo import ZoneInfo

    from tickets.attachments import AttachmentRules
    from tickets.handling import HandlingService

    return HandlingService(tickets, sessions, AttachmentRules.from_config(config), ZoneInfo(config.engine.timezone))


def _catalogue(sessions: async_sessionmaker, clock: Callable[[], datetime]):
    from tickets.catalogue import Catalogue

    return Catalogue(sessions, clock)


def _merging(tickets, config: Config):
    """并单 (tickets/merging.py): registers itself on the ticket service so duplicates follow their main."""
    from tickets.merging import TicketMerging

    return TicketMerging(tickets, window_days=config.tickets.merge_window_days)


def _accounts(config: Config, sessions: async_sessionmaker, clock: Callable[[], datetime]):
    """Accounts with the bounded argon2 pool and the configured password policy (admin edits swap it)."""
    from agent_console.accounts.hashing import HashPool
    from agent_console.accounts.policy import PasswordPolicy
    from agent_console.accounts.service import AccountService

    console = config.console
    pool = HashPool(workers=console.login_hash_workers, wait_seconds=console.login_hash_wait,
                    processes=console.login_hash_processes)
    return AccountService(sessions, pool=pool, policy=PasswordPolicy(**console.password_policy.model_dump()),
                          clock=clock)


def agi_routes(engine) -> dict[str, Callable]:
    """FastAGI script path -> handler. `ivr` is the citizen's front end."""
    routes: dict[str, Callable] = {}
    from ivr.frontend.wiring import make_ivr_route

    routes["ivr"] = make_ivr_route(engine)
    return routes
