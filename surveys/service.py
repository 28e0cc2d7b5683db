"""SurveyService: puts replied tickets on the schedule, places the calls (AMI Originate into the
shipped `[hotline-survey]` context), follows their OriginateResponse, and serves the `survey`
route's database steps. One `tick()` does a whole pass; apscheduler runs it every `tick_seconds`.

    Action: Originate
    Channel: PJSIP/13800138000@trunk    ([survey] dial, default PJSIP/{number}@{endpoint})
    Context: hotline-survey / Exten: s / Priority: 1
    CallerID: 12345 <12345>
    Timeout: 45000                      ([survey] ring_seconds)
    Variable: HOTLINE_SURVEY_JOB=<id>,HOTLINE_TICKET=<number>
    Async: true

OriginateResponse (trace 08): `Response: Success` / `Reason: 4` = answered (the dialplan then runs
AGI(.../survey,<id>)); `Failure` with Reason 5 busy, 3 rang out, 8 congestion, 0/1 failed.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from hotline.ami import events as ev
from hotline.ami.errors import AmiActionError, AmiError, AmiNotConnected

from surveys.flow import SurveyCall
from surveys.sms import LogOnlySms, SmsSurvey
from surveys.store import JobView, SurveyStore

log = logging.getLogger("surveys")
REASON_OUTCOME = {5: "busy", 3: "no_answer", 1: "no_answer", 8: "unreachable", 0: "unreachable"}
ACTOR = "survey"
# Survey answers written at once. The database takes one writer at a time anyway (SQLite) or gains little
# from more; each extra concurrent write is a connection thread competing with the event loop that
# serves every call's FastAGI commands (bench/survey: p99 command latency).
WRITE_SLOTS = 4


class SurveyService:
    def __init__(self, store: SurveyStore, tickets, recorder, clients: Mapping[str, object],
                 clock: Callable[[], datetime], settings, sms: SmsSurvey | None = None) -> None:
        self.store = store
        self.tickets = tickets
        self.recorder = recorder
        self._clients = clients
        self.clock = clock
        self.settings = settings  # hotline.config.SurveySection
        self.sms = sms or LogOnlySms()
        self._pass = asyncio.Lock()
        self.dialed: list[tuple[int, str]] = []  # (job id, dial string), for health and tests
        self._writes: dict[int, list[asyncio.Task]] = {}
        self._write_slots = asyncio.Semaphore(WRITE_SLOTS)
        self._actions: dict[str, int] = {}  # Originate ActionID -> job id
        self.router = None  # callbacks.assign.CallbackRouter (回访分派), wired by surveys.wiring

    # ---- the pass --------------------------------------------------------------------------
    async def tick(self) -> list[JobView]:
        """Enqueue newly replied tickets, give up stale calls, dial what is due within the limit."""
        async with self._pass:
            now = self.clock()
            s = self.settings
            replied = await self.tickets.search(status="replied", limit=500)
            if self.router is not None:  # 回访分派: only the tickets the split gave to the survey
                await self.router.assign_due(now)
                replied = await self.router.routed(replied, "survey")
            await self.store.enqueue(replied, now, timedelta(minutes=s.due_after_minutes))
            for job in await self.store.stale(now, timedelta(minutes=s.stale_after_minutes)):
                log.warning("surveys.call_lost job=%d ticket=%s: no result within %d min",
                            job.id, job.ticket_number, s.stale_after_minutes)
                await self._failed(job, "no_answer", now)
            await self._hand_over(now)
            if (await self.store.control()).paused:  # a supervisor paused the survey: calls out finish
                return []
            free = s.max_concurrent - await self.store.out_count()
            claimed = await self.store.claim_due(now, free)
            for i, job in enumerate(claimed):
                if i:
                    await asyncio.sleep(1 / s.dials_per_second)  # the trunk's call attempts per second
                await self._dial(job)
            return claimed

    async def wait_idle(self) -> None:
        """Until a pass still running is over: the engine stops after it, not in the middle of a write."""
        async with self._pass:
            pass

    async def _dial(self, job: JobView) -> None:
        s = self.settings
        client = next(iter(self._clients.values()), None)
        target = s.dial_string(job.phone)
        cid = "".join(ch for ch in s.caller_id if ch.isdigit()) or "12345"
        fields = {"Channel": target, "Context": s.context, "Exten": "s", "Priority": "1",
                  "CallerID": f"{cid} <{cid}>", "Timeout": str(s.ring_seconds * 1000),
                  "Variable": f"HOTLINE_SURVEY_JOB={job.id},HOTLINE_TICKET={job.ticket_number}", "Async": "true"}
        now = self.clock()
        if client is None:
            await self.store.release(job.id, now + timedelta(minutes=1), now)
            return
        try:
            response = await client.send("Originate", fields)
        except AmiActionError as exc:  # Asterisk refused the call itself: a failed try
            log.warning("surveys.originate_refused job=%d: %s", job.id, exc)
            await self._failed(job, "unreachable", self.clock(), only_from=("dialing",))
            return
        except AmiNotConnected as exc:  # never sent: the citizen was not called, the try is given back
            log.warning("surveys.originate_not_sent job=%d: %s", job.id, exc)
            await self.store.release(job.id, now + timedelta(minutes=1), now)
            return
        except AmiError as exc:
            # sent, but no answer: the call may be ringing. The job stays out (never dialed twice): the
            # survey route takes it when the citizen answers, else the stale check retries it.
            log.warning("surveys.originate_unanswered job=%d: %s", job.id, exc)
            return
        self.dialed.append((job.id, target))
        action_id = response.get("ActionID") or ""
        if action_id:
            # in memory only: an OriginateResponse reaches the connection that sent the action, so after
            # a restart there is none to match; a failure also names our dial string (`Channel`)
            self._actions[action_id] = job.id
            while len(self._actions) > 10_000:
                self._actions.pop(next(iter(self._actions)))
        log.info("surveys.dial job=%d ticket=%s attempt=%d action=%s", job.id, job.ticket_number, job.attempts,
                 action_id)

    async def handle(self, event: ev.AmiEvent) -> None:
        """AMI subscriber: the OriginateResponse of a survey call."""
        if not isinstance(event, ev.OriginateResponse) or not event.action_id:
            return
        job_id = self._actions.pop(event.action_id, None)
        for _ in range(20):  # the event can beat the response that tells us the ActionID
            if job_id is not None:
                break
            await asyncio.sleep(0.02)
            job_id = self._actions.pop(event.action_id, None)
        job = await self.store.get(job_id) if job_id is not None else None
        number = self.settings.number_in(event.channel) if job is None and event.response != "Success" else None
        if number:
            job = await self.store.dialing_to(number)
        if job is None:
            return
        now = self.clock()
        if event.response == "Success":
            await self.store.answered(job.id, event.channel, now)
            return
        reason = event.reason if event.reason is not None else 0
        await self._failed(job, REASON_OUTCOME.get(reason, "unreachable"), now, only_from=("dialing",))

    async def _failed(self, job: JobView, outcome: str, now: datetime,
                      only_from: tuple[str, ...] = ("dialing", "in_call"), resolved: bool | None = None) -> None:
        after = await self.store.failed(job.id, outcome, now, only_from=only_from)
        if after is None:
            return
        await self._record(job, outcome, resolved=resolved)
        if after.status == "gave_up" and self.router is not None:  # out of tries: an agent calls instead
            await self._move(after, "survey_failed", now)
        elif after.status == "gave_up":  # no agents' list to hand over to: the SMS adapter may ask in writing
            try:
                ticket = await self.tickets.get(job.ticket_number)
                await self.sms.send_survey(job.ticket_number, job.phone,
                                           ticket.request_type.label if ticket.request_type else "")
            except Exception as exc:  # noqa: BLE001 - an SMS gateway failing must not stop the pass
                log.warning("surveys.sms_failed job=%d: %r", job.id, exc)
        log.info("surveys.try_failed job=%d ticket=%s outcome=%s next=%s status=%s", job.id, job.ticket_number,
                 outcome, after.next_at.isoformat(), after.status)

    async def _hand_over(self, now: datetime) -> None:
        """Jobs that ended without an answer (do-not-call, out of tries) whose ticket is still the survey's."""
        if self.router is None:
            return
        for job in await self.store.blocked_unmoved():
            await self._move(job, "do_not_call" if job.status == "blocked" else "survey_failed", now)

    async def _move(self, job: JobView, reason: str, now: datetime) -> None:
        try:
            moved = await self.router.move_to_agent(job.ticket_number, reason, now)
        except Exception as exc:  # noqa: BLE001 - retried by the next pass (the job keeps result NULL)
            log.warning("surveys.hand_over_failed job=%d ticket=%s: %r", job.id, job.ticket_number, exc)
            return
        await self.store.handed_over(job.id)
        log.info("surveys.hand_over job=%d ticket=%s reason=%s moved=%s", job.id, job.ticket_number, reason, moved)

    async def _record(self, job: JobView, outcome: str, *, resolved: bool | None = None,
                      satisfaction: str | None = None, note: str | None = None):
        try:
            return await self.recorder.record_attempt(job.ticket_number, channel="survey", outcome=outcome,
                                                      actor=ACTOR, resolved=resolved, satisfaction=satisfaction,
                                                      note=note, key=f"survey-{job.id}-{job.attempts}")
        except Exception as exc:  # noqa: BLE001 - e.g. an agent reached the citizen first: the job's row keeps it
            log.warning("surveys.record_failed job=%d ticket=%s outcome=%s: %r", job.id, job.ticket_number,
                        outcome, exc)
            return None

    # ---- the `survey` route's ports (surveys.flow.SurveyPorts) ---------------------------
    async def begin(self, job_id: int, channel: str | None) -> SurveyCall | None:
        job = await self.store.get(job_id)
        if job is None or job.status not in ("dialing", "in_call"):
            return None
        self._beside(job_id, self.store.answered, job_id, channel or "", self.clock())
        ticket = await self.tickets.get(job.ticket_number)
        if ticket.status.value != "replied":
            await self.store.finish(job_id, bool(job.resolved), job.satisfaction or "", "superseded", self.clock())
            return None
        return SurveyCall(job_id, ticket.number, ticket.request_type.value if ticket.request_type else None)

    # Writes during a call run beside it: the citizen hears the next question at once (FastAGI
    # command latency), and the route's handler waits for them (`settle`) when the call is over.
    def _beside(self, job_id: int, step, *args) -> None:
        """Run `step(*args)` after this call's earlier writes (a call's steps keep their order)."""
        earlier = self._writes.get(job_id, [])[-1:]

        async def in_order():
            if earlier:
                await asyncio.gather(*earlier, return_exceptions=True)
            async with self._write_slots:  # a few at a time: they must not starve the calls' commands
                return await step(*args)
        task = asyncio.get_running_loop().create_task(in_order(), name=f"survey-write-{job_id}")
        self._writes.setdefault(job_id, []).append(task)

    async def settle(self, job_id: int | None) -> None:
        tasks = self._writes.pop(job_id, []) if job_id is not None else []
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                log.error("surveys.write_failed job=%s: %r", job_id, result)

    def keep_partial(self, job_id: int, resolved: bool | None, satisfaction: str | None) -> None:
        self._beside(job_id, self.store.keep_partial, job_id, resolved, satisfaction)

    def complete(self, call: SurveyCall, resolved: bool, satisfaction: str) -> str:
        """What the citizen is told (the one rule: 不满意 or 未解决 → 重办), stored beside the call."""
        self._beside(call.job_id, self._complete, call, resolved, satisfaction)
        return "closed" if resolved and satisfaction != "dissatisfied" else "reopened"

    async def _complete(self, call: SurveyCall, resolved: bool, satisfaction: str) -> str:
        job = await self.store.get(call.job_id)
        note = "语音回访：" + ("已解决" if resolved else "未解决") + "，" + \
            {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}[satisfaction]
        done = await self._record(job, "reached", resolved=resolved, satisfaction=satisfaction, note=note)
        action = getattr(done, "action", None) or "pending"
        await self.store.finish(call.job_id, resolved, satisfaction, action, self.clock())
        log.info("surveys.answered job=%d ticket=%s resolved=%s satisfaction=%s action=%s", call.job_id,
                 call.ticket_number, resolved, satisfaction, action)
        return action

    def not_finished(self, call: SurveyCall, outcome: str, resolved: bool | None) -> None:
        self._beside(call.job_id, self._not_finished, call, outcome, resolved)

    async def _not_finished(self, call: SurveyCall, outcome: str, resolved: bool | None) -> None:
        job = await self.store.get(call.job_id)
        if job is not None:
            await self._failed(job, outcome, self.clock(), resolved=resolved)
