"""The per-day figures the ticket store keeps (tickets/day_figures.py) equal the direct computation
over the stored history — the 考核 replay of every history and the hotspot GROUP BY over tickets —
for every period and channel of a seeded history with the hard cases: a step across midnight
Asia/Shanghai, a reply on a period's last second called back the next day, 退单 and its rejection,
延期, 重办 twice (after a callback and after closing), 无法回访, 直接办结, drafts. And `rebuild`
(the migration's backfill) gives the rows the store wrote step by step. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callbacks.models import TABLES as CALLBACK_TABLES
from callbacks.rules import CallbackRules
from callbacks.service import CallbackService
from calls.models import CallRecord
from hotline.db import Base, make_engine, make_sessionmaker
from hotspots.counts import day_counts, day_counts_direct
from reports.assessment import CENTER, assess
from reports.figures import Period, build_report
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.attachments import AttachmentRules
from tickets.day_figures import rebuild
from tickets.handling import HandlingService
from tickets.handling_models import TABLES as HANDLING_TABLES
from tickets.intake import TicketDetails
from tickets.models import TABLES as TICKET_TABLES
from tickets.models import ticket_day_figures, ticket_day_hotspots

SHANGHAI = ZoneInfo("Asia/Shanghai")
TABLES = [*TICKET_TABLES, *HANDLING_TABLES, *CALLBACK_TABLES, CallRecord.__table__]
CHANNELS = (None, "phone", "web", "wechat", "app")


class Clock:
    now = datetime(2026, 11, 2, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, text: str) -> None:
        """'11-30 23:59:59' (2026, Asia/Shanghai)."""
        self.now = datetime.fromisoformat(f"2026-{text}").replace(tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
async def store(database_url, tmp_path):
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=TABLES))
    sessions = make_sessionmaker(engine)
    clock = Clock()
    tickets = TicketService(sessions, clock, WorkCalendar.shipped(), DeadlineRules.defaults())
    callbacks = CallbackService(sessions, tickets, clock, CallbackRules(due_after_minutes=0, retry_after_minutes=0))
    handling = HandlingService(tickets, sessions, AttachmentRules(tmp_path / "attachments"))
    for code, name in (("scjgj", "市场监督管理局"), ("cgj", "城市管理局")):
        await tickets.add_department(code, name)
    await tickets.add_department("xh", "徐汇区", kind="district")
    await seed(tickets, callbacks, handling, clock)
    yield engine, tickets, sessions
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
    await engine.dispose()


async def seed(t: TicketService, cb: CallbackService, h: HandlingService, clock: Clock) -> None:
    async def at(when, fn, *args, **kwargs):
        clock.at(when)
        return await fn(*args, **kwargs)

    async def new(when, channel="phone", register_at=None, rtype="complaint", category="城市管理/噪音",
                  district=None):
        draft = await at(when, t.create_draft, caller="13800138000", channel=channel, content="诉求")
        await at(register_at or when, t.register, draft.number, "agent01", request_type=rtype, content="诉求",
                 category=category, details=TicketDetails(district=district))
        return draft.number

    async def evaluated(when, number, resolved, satisfaction):
        return await at(when, cb.record_attempt, number, channel="agent", outcome="reached", actor="agent01",
                        resolved=resolved, satisfaction=satisfaction)

    # A: dispatched a minute before midnight, accepted at 00:00 the next day, 延期 granted, replied on
    # the last second of Dec 2 and called back (满意) 30 s into Dec 3
    a = await new("11-30 23:58", district="xh")
    await at("11-30 23:59", t.dispatch, a, "scjgj", [], "agent01")
    await at("12-01 00:00", t.accept, a, "scjgj", "dept01")
    await at("12-01 10:00", h.request_extension, a, "scjgj", "dept01", reason="需现场核查", days=2)
    await at("12-01 11:00", h.decide_extension, a, "lead01", approve=True, comment=None)
    await at("12-02 23:59:59", t.reply, a, "答复", "dept01", dept="scjgj", contact="电话")
    await evaluated("12-03 00:00:30", a, True, "satisfied")

    # B (web): 退单, the return rejected, returned again and re-dispatched to cgj; 不满意 -> 重办;
    # replied again, 基本满意, closed, reopened after closing and answered by the center; 无法回访
    b = await new("12-01 09:00", channel="web", category="交通/公交", district="xh")
    await at("12-01 09:05", t.dispatch, b, "scjgj", [], "agent01")
    await at("12-01 09:10", t.return_, b, "scjgj", "不归我们管", "dept01", reason_code="not_ours")
    await at("12-01 09:20", t.reject_return, b, "lead01", "属于你单位职责")
    await at("12-01 09:30", t.return_, b, "scjgj", "仍不归我们管", "dept01", reason_code="not_ours")
    await at("12-01 09:40", t.dispatch, b, "cgj", [], "lead01")
    await at("12-02 11:00", t.accept, b, "cgj", "dept02")        # past the 1-working-day acceptance deadline
    await at("12-02 12:00", t.reply, b, "答复", "dept02", dept="cgj", contact="电话")
    await evaluated("12-03 09:00", b, False, "dissatisfied")     # 重办: back to cgj at once
    await at("12-03 09:20", t.accept, b, "cgj", "dept02")
    await at("12-04 10:00", t.reply, b, "再次答复", "dept02", dept="cgj", contact="上门")
    await evaluated("12-05 10:00", b, True, "basically_satisfied")
    await at("12-07 08:00", t.reopen, b, "市民再次来电", "lead01")
    await at("12-07 08:30", t.reply, b, "中心答复", "agent01")
    await at("12-08 10:00", t.record_unreachable, b, 3, "agent01")
    await at("12-08 10:01", t.close, b, "agent01", "无法回访")

    # C (wechat): 直接办结 by the center on the call, 满意, no district
    c = await new("12-02 08:00", channel="wechat", rtype="consult", category=None)
    await at("12-02 08:05", t.reply, c, "知识库答复", "agent01")
    await evaluated("12-02 09:00", c, True, "satisfied")

    # D: a draft created at 23:59:59 registered after midnight (created Nov 30, registered Dec 1);
    # E (app): registered only; F: a draft never registered
    await new("11-30 23:59:59", register_at="12-01 00:00:10", category="城市管理/噪音", district="xh")
    await new("12-06 12:00", channel="app", category="交通/公交")
    await at("12-02 14:00", t.create_draft, caller="13900139000", content="未登记")


PERIODS = [Period(date(2026, 11, 29) + timedelta(days=i), date(2026, 11, 29) + timedelta(days=i)) for i in range(11)]
PERIODS += [Period(date(2026, 11, 1), date(2026, 11, 30)), Period(date(2026, 12, 1), date(2026, 12, 31)),
            Period(date(2026, 12, 1), date(2026, 12, 3)), Period(date(2026, 12, 3), date(2026, 12, 8)),
            Period(date(2026, 1, 1), date(2026, 12, 31))]


async def test_given_a_seeded_history_then_the_stored_day_figures_equal_the_replay_for_every_period_and_channel(
        store):
    _, tickets, sessions = store
    compared = 0
    for period in PERIODS:
        for channel in CHANNELS:
            report = await build_report(tickets, sessions, period, channel)
            direct = assess(await tickets.histories_between(period.start, period.end, channel=channel),
                            period.start, period.end)
            assert report.assessment.department_rows() == direct.department_rows(), (period, channel)
            assert report.assessment.center.counts == direct.center.counts, (period, channel)
            compared += any(report.assessment.center.counts.values())
    assert compared >= 30  # most of the comparisons had something to count

    async def day(d: str, channel=None):
        period = Period(date.fromisoformat(f"2026-{d}"), date.fromisoformat(f"2026-{d}"))
        return (await build_report(tickets, sessions, period, channel)).assessment

    nov30, dec1, dec2, dec3 = [await day(d) for d in ("11-30", "12-01", "12-02", "12-03")]
    assert nov30.departments["scjgj"].counts["dispatched"] == 1 and "accepted" not in {
        k for k, v in nov30.departments["scjgj"].counts.items() if v}                    # A: accepted after midnight
    assert (nov30.center.counts["registered"], dec1.center.counts["registered"]) == (1, 2)  # D counts on Dec 1
    s1 = dec1.departments["scjgj"].counts
    assert (s1["accepted"], s1["accepted_on_time"], s1["extended"], s1["dispatched"], s1["returned"]) == (1, 1, 1, 1, 2)
    s2 = dec2.departments["scjgj"].counts
    assert (s2["replied"], s2["visited"], s2["evaluated"]) == (1, 1, 0)   # called back on Dec 3: the reply's day
    assert dec3.departments["scjgj"].counts["evaluated"] == 1 and dec3.departments["scjgj"].counts["visited"] == 0
    assert dec2.center.counts["direct"] == 1 and dec2.departments[CENTER].counts["replied"] == 1
    c2 = dec2.departments["cgj"].counts
    assert (c2["accepted"], c2["accepted_on_time"]) == (1, 0)
    assert (await day("12-03", "web")).departments["cgj"].counts["reopened"] == 1
    dec8 = await day("12-08")
    assert dec8.departments[CENTER].counts["unreachable"] == 1 and dec8.center.counts["evaluated"] == 0
    dec7 = await day("12-07")
    assert dec7.departments["cgj"].counts["reopened"] == 1 and dec7.departments[CENTER].counts["replied"] == 1


async def test_given_a_seeded_history_then_the_stored_hotspot_counts_equal_the_group_by_over_tickets(store):
    _, tickets, sessions = store
    for first, last in ((date(2026, 11, 30), date(2026, 11, 30)), (date(2026, 12, 1), date(2026, 12, 1)),
                        (date(2026, 11, 1), date(2026, 12, 31))):
        for channel in CHANNELS:
            assert await day_counts(sessions, first, last, channel=channel) == \
                await day_counts_direct(sessions, first, last, channel=channel), (first, last, channel)
    nov30 = await day_counts(sessions, date(2026, 11, 30), date(2026, 11, 30))
    assert [(r.category, r.district, r.channel, r.count) for r in nov30] == [("城市管理/噪音", "xh", "phone", 2)]


async def test_given_the_rows_written_step_by_step_then_a_rebuild_from_the_history_gives_the_same_rows(store):
    engine, _, _ = store

    async def snapshot():
        async with engine.connect() as conn:
            figures = (await conn.execute(select(ticket_day_figures).order_by(
                *ticket_day_figures.primary_key.columns))).all()
            hot = (await conn.execute(select(ticket_day_hotspots).where(ticket_day_hotspots.c.tickets != 0)
                                      .order_by(*ticket_day_hotspots.primary_key.columns))).all()
        return figures, hot

    written = await snapshot()
    assert len(written[0]) > 10 and len(written[1]) >= 4
    async with engine.begin() as conn:
        await conn.run_sync(rebuild)
    assert await snapshot() == written
    async with engine.begin() as conn:   # idempotent: a second run (a retried migration) changes nothing
        await conn.run_sync(rebuild)
    assert await snapshot() == written


async def test_given_stored_calls_then_the_reports_call_figures_summed_in_the_database_equal_the_wallboards(store):
    engine, tickets, sessions = store
    from queues.stored_figures import CENTER as CALL_CENTER
    from queues.stored_figures import StoredCall, figures_since
    from reports.figures import center_call_figures

    period = Period(date(2026, 12, 1), date(2026, 12, 1))
    base = period.start
    calls = []   # (offset s from 00:00, outcome, first queue, final queue, hold seconds)
    for i, (outcome, final, hold) in enumerate([
            ("answered", "general", 3), ("answered", "general", 15), ("answered", "general", 16),
            ("answered", "l12315", 40), ("abandoned", "general", 22), ("timeout", "general", 60),
            ("no_agent", "general", 0), ("lost_track", "general", 9), ("ivr_hangup", None, 0),
            ("answered", "general", -2), ("abandoned", "", 5)]):
        calls.append((60 * i, outcome, "l12315" if i == 2 else final, final, hold))
    calls += [(-1, "answered", "general", "general", 1), (86400, "abandoned", "general", "general", 1)]  # outside
    async with sessions() as session, session.begin():
        for i, (offset, outcome, first, final, hold) in enumerate(calls):
            at = base + timedelta(seconds=offset)
            session.add(CallRecord(server="pbx1", linkedid=f"17960.{i}", started_at=at, ended_at=at, outcome=outcome,
                                   first_queue=first, final_queue=final, hold_seconds=hold, recorded_at=at,
                                   ivr_vars={}))
    stored = [StoredCall(base + timedelta(seconds=o), out, first, final, hold) for o, out, first, final, hold in calls
              if 0 <= o < 86400]
    expected = figures_since(stored, period.start)[CALL_CENTER]
    async with sessions() as session:
        got = await center_call_figures(session, period.start, period.end)
    assert got == expected
    assert (got["offered"], got["answered"], got["answered_15s"], got["longest_wait"]) == (9, 5, 3, 60)
    assert (await build_report(tickets, sessions, period)).calls == expected


async def test_given_concurrent_steps_on_many_tickets_then_no_count_is_lost(store):
    """Steps of different tickets add to the same day rows at once: each waits for the row, none is lost."""
    import asyncio

    _, tickets, sessions = store
    period = Period(date(2026, 12, 9), date(2026, 12, 9))
    before = (await build_report(tickets, sessions, period)).assessment.center.counts

    async def one(i: int) -> None:
        draft = await tickets.create_draft(caller="13800138000", channel="phone", content="诉求")
        await tickets.register(draft.number, "agent01", request_type="complaint", content="诉求",
                               category="城市管理/噪音", details=TicketDetails(district="xh"))
        await tickets.dispatch(draft.number, "scjgj", [], "agent01")
        await tickets.accept(draft.number, "scjgj", "dept01")
        await tickets.reply(draft.number, "答复", "dept01", dept="scjgj", contact="电话")

    Clock.at(tickets._clock, "12-09 10:00")  # noqa: SLF001 - the fixture's clock
    await asyncio.gather(*(one(i) for i in range(12)))
    after = await build_report(tickets, sessions, period)
    direct = assess(await tickets.histories_between(period.start, period.end), period.start, period.end)
    assert before["registered"] == 0
    assert after.assessment.department_rows() == direct.department_rows()
    assert [after.assessment.departments["scjgj"].counts[k] for k in ("dispatched", "accepted", "replied")] == [12] * 3
    hot = await day_counts(sessions, period.first, period.last)
    assert [(r.category, r.district, r.count) for r in hot] == [("城市管理/噪音", "xh", 12)]
