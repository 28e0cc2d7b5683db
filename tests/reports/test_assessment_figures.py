"""考核 figures equal a hand computation over a seeded history (docs/metrics.md 考核指标), and a
report built again from the same tables (an engine restart) gives the same numbers."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from callbacks.models import TABLES as CALLBACK_TABLES
from callbacks.rules import CallbackRules
from callbacks.service import CallbackService
from calls.models import CallRecord
from hotline.db import Base, make_engine, make_sessionmaker
from reports.assessment import CENTER
from reports.figures import Period, PeriodError, build_report
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.models import TABLES as TICKET_TABLES

SHANGHAI = ZoneInfo("Asia/Shanghai")
TABLES = [*TICKET_TABLES, *CALLBACK_TABLES, CallRecord.__table__]


class Clock:
    now = datetime(2026, 11, 2, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, text: str) -> None:
        """'11-02 09:00' (2026, Asia/Shanghai); '10-28 …' is October."""
        self.now = datetime.fromisoformat(f"2026-{text}").replace(tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
async def seeded(database_url):
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=TABLES))
    sessions = make_sessionmaker(engine)
    clock = Clock()
    tickets = TicketService(sessions, clock, WorkCalendar.shipped(), DeadlineRules.defaults())
    callbacks = CallbackService(sessions, tickets, clock, CallbackRules(due_after_minutes=0, retry_after_minutes=0))
    await tickets.add_department("scjgj", "市场监督管理局")
    await tickets.add_department("cgj", "城市管理局")
    await seed_history(tickets, callbacks, clock)
    yield tickets, sessions
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
    await engine.dispose()


async def registered(tickets, clock, when: str, rtype: str = "complaint", urgency: str = "normal") -> str:
    clock.at(when)
    draft = await tickets.create_draft(caller="13800138000", line_dialed="12345", content="诉求")
    await tickets.register(draft.number, "agent01", request_type=rtype, content="诉求", urgency=urgency)
    return draft.number


async def seed_history(t, cb, clock) -> None:
    async def step(when, coro_fn, *args, **kwargs):
        clock.at(when)
        return await coro_fn(*args, **kwargs)

    async def reached(when, number, resolved, satisfaction):
        return await step(when, cb.record_attempt, number, channel="agent", outcome="reached", actor="agent01",
                          resolved=resolved, satisfaction=satisfaction, note="市民意见")

    # T6: replied in October, its callback (in November) dissatisfied -> 重办, re-dispatched in November
    t6 = await registered(t, clock, "10-28 09:00")
    await step("10-28 09:05", t.dispatch, t6, "scjgj", [], "agent01")
    await step("10-28 09:30", t.accept, t6, "scjgj", "dept01")
    await step("10-30 10:00", t.reply, t6, "答复", "dept01", dept="scjgj", contact="电话")
    await reached("11-02 08:00", t6, True, "dissatisfied")
    # T1: everything on time, 满意 and solved
    t1 = await registered(t, clock, "11-02 09:00")
    await step("11-02 09:05", t.dispatch, t1, "scjgj", [], "agent01")
    await step("11-02 09:30", t.accept, t1, "scjgj", "dept01")
    await step("11-03 10:00", t.reply, t1, "答复", "dept01", dept="scjgj", contact="电话")
    await reached("11-04 10:00", t1, True, "satisfied")
    # T2: 30-minute acceptance (utilities) missed, 不满意/未解决 -> 重办, then accepted in time, 基本满意
    t2 = await registered(t, clock, "11-02 10:00", urgency="utilities")
    await step("11-02 10:05", t.dispatch, t2, "scjgj", [], "agent01")
    await step("11-02 11:30", t.accept, t2, "scjgj", "dept01")
    await step("11-03 11:00", t.reply, t2, "答复", "dept01", dept="scjgj", contact="电话")
    await reached("11-04 11:00", t2, False, "dissatisfied")
    await step("11-04 11:10", t.accept, t2, "scjgj", "dept01")
    await step("11-05 09:00", t.reply, t2, "再次答复", "dept01", dept="scjgj", contact="上门")
    await reached("11-06 10:00", t2, True, "basically_satisfied")
    # T3: returned by scjgj, re-dispatched to cgj, answered late (consult: 1 working day), unreachable 3 times
    t3 = await registered(t, clock, "11-03 09:00", rtype="consult")
    await step("11-03 09:05", t.dispatch, t3, "scjgj", [], "agent01")
    await step("11-03 09:20", t.return_, t3, "scjgj", "不归我们管", "dept01", reason_code="not_ours")
    await step("11-03 09:30", t.dispatch, t3, "cgj", [], "lead01")
    await step("11-03 10:00", t.accept, t3, "cgj", "dept02")
    await step("11-05 09:00", t.reply, t3, "答复", "dept02", dept="cgj", contact="电话")
    for when in ("11-06 10:00", "11-06 15:00", "11-09 10:00"):
        await step(when, cb.record_attempt, t3, channel="agent", outcome="no_answer", actor="agent01")
    # T4: 直接办结 on the call by the center, 满意
    t4 = await registered(t, clock, "11-04 09:00", rtype="consult")
    await step("11-04 09:05", t.reply, t4, "知识库答复", "agent01")
    await reached("11-05 10:00", t4, True, "satisfied")
    # T5: cgj on time, no callback yet
    t5 = await registered(t, clock, "11-05 09:00")
    await step("11-05 09:05", t.dispatch, t5, "cgj", [], "agent01")
    await step("11-05 09:10", t.accept, t5, "cgj", "dept02")
    await step("11-05 15:00", t.reply, t5, "答复", "dept02", dept="cgj", contact="电话")
    # T7: registered only
    await registered(t, clock, "11-10 09:00")
    assert [s.status.value for s in [await t.get(n) for n in (t1, t2, t3, t4, t5, t6)]] == [
        "closed", "closed", "closed", "closed", "replied", "dispatched"]


NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


async def test_department_and_center_figures_equal_the_hand_computation(seeded):
    tickets, sessions = seeded
    report = await build_report(tickets, sessions, NOVEMBER)
    by_dept = {code: (counts, rates) for code, counts, rates in report.assessment.department_rows()}
    scjgj, cgj, center_own = by_dept["scjgj"], by_dept["cgj"], by_dept[CENTER]

    # 市场监督管理局: dispatches T1, T2 x2 (重办), T3, T6 (重办); accepts T1, T2 x2 of which T2's first is late
    assert {k: scjgj[0][k] for k in ("dispatched", "accepted", "accepted_on_time", "returned", "extended", "replied",
                                     "replied_on_time", "visited", "evaluated", "satisfied", "resolution_known",
                                     "resolved", "reopened", "unreachable")} == {
        "dispatched": 5, "accepted": 3, "accepted_on_time": 2, "returned": 1, "extended": 0, "replied": 3,
        "replied_on_time": 3, "visited": 3, "evaluated": 4, "satisfied": 2, "resolution_known": 4, "resolved": 3,
        "reopened": 2, "unreachable": 0}
    assert scjgj[1] == {"accept_on_time_pct": 66.7, "complete_on_time_pct": 100.0, "return_pct": 20.0,
                        "extension_pct": 0.0, "callback_pct": 100.0, "satisfaction_pct": 50.0,
                        "resolution_pct": 75.0, "reopen_pct": 66.7}
    # 城市管理局: T3 (late reply, 无法回访) and T5 (no callback yet)
    assert cgj[1] == {"accept_on_time_pct": 100.0, "complete_on_time_pct": 50.0, "return_pct": 0.0,
                      "extension_pct": 0.0, "callback_pct": 0.0, "satisfaction_pct": None,
                      "resolution_pct": None, "reopen_pct": 0.0}
    assert (cgj[0]["replied"], cgj[0]["unreachable"], cgj[0]["visited"]) == (2, 1, 0)
    # the center's own 直接办结 (T4)
    assert (center_own[0]["replied"], center_own[0]["visited"], center_own[0]["satisfied"]) == (1, 1, 1)

    center = report.assessment.center
    assert (center.counts["registered"], center.counts["direct"]) == (6, 1)  # T1-T5, T7; T6 was October's
    assert center.rates()["satisfaction_pct"] == 60.0                         # 3 of 5 evaluations
    assert center.rates()["callback_pct"] == round(4 * 100 / 6, 1)            # 4 of 6 replies called back
    from reports.assessment import CENTER_RATES
    assert center.rates(CENTER_RATES) == {"direct_pct": 16.7}
    assert report.calls["offered"] == 0 and report.calls["connection_rate_pct"] is None

    again = await build_report(tickets, sessions, NOVEMBER)  # what a restarted engine reads
    assert again.assessment.department_rows() == report.assessment.department_rows()


async def test_october_sees_only_octobers_steps(seeded):
    tickets, sessions = seeded
    report = await build_report(tickets, sessions, Period(date(2026, 10, 1), date(2026, 10, 31)))
    (code, counts, rates), = report.assessment.department_rows()
    assert code == "scjgj" and (counts["dispatched"], counts["accepted"], counts["replied"]) == (1, 1, 1)
    assert counts["visited"] == 1          # its reply was called back (in November): the reply's period counts
    assert counts["evaluated"] == 0 and rates["satisfaction_pct"] is None


def test_periods_are_whole_shanghai_days_and_bad_input_is_refused():
    p = Period.parse("2026-11-01", "2026-11-30", date(2026, 12, 3))
    assert p.start.astimezone(UTC) == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert p.end.astimezone(UTC) == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert Period.parse(None, None, date(2026, 12, 3)) == Period(date(2026, 12, 1), date(2026, 12, 3))
    for first, last in (("2026-13-01", None), ("2026-11-30", "2026-11-01"), ("2025-01-01", "2026-11-01"),
                        ("x\x00", None)):
        with pytest.raises(PeriodError):
            Period.parse(first, last, date(2026, 12, 3))
