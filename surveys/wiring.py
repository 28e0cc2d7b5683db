"""`setup_surveys(app)`: the survey service, its FastAGI route `survey`, the AMI subscription and the
apscheduler pass (recordings/schedule.py style: nothing of the scheduler is persisted, the rows are)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from hotline.engine import ENGINE
from ivr.fastagi import AgiServer, AgiSession
from ivr.frontend.driver import drive

from surveys.flow import survey_flow
from surveys.hours import CallingHours
from surveys.recorder import ServiceRecorder
from surveys.service import SurveyService
from surveys.store import SurveyStore

log = logging.getLogger("surveys")
JOB_ID = "surveys-pass"


def make_survey_handler(service: SurveyService):
    async def handler(session: AgiSession) -> None:
        arg = session.env.args[0] if session.env.args else ""
        job_id = int(arg) if arg.isdigit() else None
        try:
            outcome = await drive(session, survey_flow(job_id, session.env.channel, service))
        finally:
            await service.settle(job_id)  # the answers are stored before the session is over
        log.info("survey job=%s outcome=%s resolved=%s satisfaction=%s action=%s", outcome.job_id, outcome.outcome,
                 outcome.resolved, outcome.satisfaction, outcome.action)
        for note in outcome.notes:
            log.warning("survey job=%s: %s", outcome.job_id, note)
    return handler


def build_service(engine) -> SurveyService:
    s = engine.config.survey
    store = SurveyStore(engine.sessions, CallingHours(s.hours, s.timezone),
                        retry_after=timedelta(minutes=s.retry_after_minutes), max_attempts=s.max_attempts,
                        do_not_call=s.do_not_call)
    tickets = engine.services["tickets"]
    return SurveyService(store, tickets, ServiceRecorder(engine.services, tickets), engine.ami, engine.clock, s,
                         sms=engine.services.get("sms_survey"))


def attach_router(engine, service: SurveyService) -> None:
    """回访分派: each due ticket on one list, the survey's or the agents' (docs/surveys.md)."""
    callbacks = engine.services.get("callbacks")
    if engine.config.survey.enabled and callbacks is not None:
        from callbacks.assign import CallbackRouter
        from callbacks.split import SplitRule

        service.router = callbacks.router = CallbackRouter(
            engine.sessions, engine.services["tickets"], engine.clock, SplitRule.from_config(engine.config.survey),
            timedelta(minutes=engine.config.callbacks.due_after_minutes), service.store.blocked_among)


async def surveys_context(app: web.Application) -> AsyncIterator[None]:
    engine = app[ENGINE]
    service = build_service(engine)
    engine.services["surveys"] = service
    callbacks = engine.services.get("callbacks")
    attach_router(engine, service)
    fastagi = engine.services.get("fastagi")
    if isinstance(fastagi, AgiServer) and "survey" not in fastagi._routes:  # noqa: SLF001 - one registration per server
        fastagi.add_route("survey", make_survey_handler(service))  # (the IVR worker process registers its own)
    subs = [(client, client.subscribe(service.handle, events=["OriginateResponse"], typed=True, name="surveys"))
            for client in engine.ami.values()]
    scheduler = None
    if engine.config.survey.enabled and engine.ami:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(_pass, IntervalTrigger(seconds=engine.config.survey.tick_seconds, timezone="UTC"),
                          args=(service,), id=JOB_ID, coalesce=True, max_instances=1)
        scheduler.start()
    yield
    if scheduler is not None and scheduler.running:
        scheduler.pause()  # no new pass; one still running ends first (shutdown would cancel it mid-write)
        try:
            await asyncio.wait_for(service.wait_idle(), timeout=10)
        except TimeoutError:
            log.warning("surveys.stop: a pass still running after 10 s is cut off (the stale check retries it)")
        scheduler.shutdown(wait=False)
    for client, sub in subs:
        await client.fanout.unsubscribe(sub)
    if callbacks is not None:
        callbacks.router = None


async def _pass(service: SurveyService) -> None:
    try:
        await service.tick()
    except Exception:  # noqa: BLE001 - the next pass retries
        log.exception("surveys.pass_failed")


def setup_surveys(app: web.Application) -> None:
    """Call from hotline.engine.build_app after the telephony contexts (needs fastagi and the AMI clients)."""
    app.cleanup_ctx.append(surveys_context)
