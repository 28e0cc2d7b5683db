"""Hotspot counts equal a hand count over tickets seeded through the ticket store (SQLite and
PostgreSQL): Asia/Shanghai days (a ticket at 23:59 and one at 00:01 fall on different days),
drafts left out, the channel filter, weeks from Monday; and the spike detector over those days."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.db import Base, make_engine, make_sessionmaker
from hotspots.counts import DayCount, day_counts, fold
from hotspots.detect import Settings, spikes
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.intake import TicketDetails
from tickets.models import TABLES as TICKET_TABLES

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    now = datetime(2026, 11, 2, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, text: str) -> None:
        """'2026-11-02 09:00' in Asia/Shanghai."""
        self.now = datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
async def store(database_url):
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TICKET_TABLES))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=TICKET_TABLES))
    sessions = make_sessionmaker(engine)
    clock = Clock()
    yield TicketService(sessions, clock, WorkCalendar.shipped(), DeadlineRules.defaults()), sessions, clock
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TICKET_TABLES))
    await engine.dispose()


async def ticket(tickets, clock, when: str, category: str | None, district: str | None, channel: str = "phone",
                 *, register: bool = True) -> None:
    clock.at(when)
    draft = await tickets.create_draft(caller="13800138000", channel=channel, content="诉求")
    if register:
        await tickets.register(draft.number, "agent01", request_type="complaint", content="噪音扰民，张三",
                               category=category, details=TicketDetails(district=district))


async def test_given_seeded_tickets_then_the_counts_by_shanghai_day_category_district_and_channel_match_a_hand_count(
        store):
    tickets, sessions, clock = store
    await ticket(tickets, clock, "2026-11-01 23:59", "城市管理/噪音", "xh")          # Sunday, late evening
    await ticket(tickets, clock, "2026-11-02 00:01", "城市管理/噪音", "xh")          # Monday (UTC: still Nov 1)
    await ticket(tickets, clock, "2026-11-02 10:00", "城市管理/噪音", "xh", "web")
    await ticket(tickets, clock, "2026-11-02 11:00", "城市管理/噪音", "xh")
    await ticket(tickets, clock, "2026-11-02 12:00", "交通/公交", "pd", "wechat")
    await ticket(tickets, clock, "2026-11-02 13:00", None, None, "app")
    await ticket(tickets, clock, "2026-11-02 14:00", "交通/公交", "pd", register=False)  # a draft: not counted
    await ticket(tickets, clock, "2026-11-03 09:00", "交通/公交", "pd")
    await ticket(tickets, clock, "2026-11-04 09:00", "交通/公交", "pd")              # outside the range asked

    rows = await day_counts(sessions, date(2026, 11, 1), date(2026, 11, 3))
    d1, d2, d3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
    assert rows == [
        DayCount(d1, "城市管理/噪音", "xh", "phone", 1),
        DayCount(d2, None, None, "app", 1),
        DayCount(d2, "交通/公交", "pd", "wechat", 1),
        DayCount(d2, "城市管理/噪音", "xh", "phone", 2),
        DayCount(d2, "城市管理/噪音", "xh", "web", 1),
        DayCount(d3, "交通/公交", "pd", "phone", 1),
    ]
    assert await day_counts(sessions, d1, d3, channel="web") == [DayCount(d2, "城市管理/噪音", "xh", "web", 1)]
    assert fold(rows, by=("district",)) == {(d1, "xh"): 1, (d2, None): 1, (d2, "pd"): 1, (d2, "xh"): 3,
                                            (d3, "pd"): 1}
    # 2026-11-01 is a Sunday: its week began on 10-26; the 2nd and 3rd are the next week
    assert fold(rows, by=("category",), week=True) == {
        (date(2026, 10, 26), "城市管理/噪音"): 1, (d2, None): 1, (d2, "交通/公交"): 2, (d2, "城市管理/噪音"): 3}


def flat(category: str, district: str, per_day: int, today: date, days: int = 28) -> list[DayCount]:
    return [DayCount(today - timedelta(days=i), category, district, "phone", per_day) for i in range(1, days + 1)]


def test_given_a_flat_series_then_no_warning_and_given_a_spike_then_a_warning_with_its_figures():
    today = date(2026, 11, 29)
    quiet = flat("城市管理/噪音", "xh", 5, today) + [DayCount(today, "城市管理/噪音", "xh", "phone", 6)]
    assert spikes(quiet, today) == []          # flat at 5, 6 today: spread floored at 1, z = 1
    noisy = [*flat("交通/公交", "pd", 2, today), *(DayCount(today - timedelta(days=i), "交通/公交", "pd", "phone", 1)
                                                for i in range(1, 15)), DayCount(today, "交通/公交", "pd", "web", 12)]
    found = spikes(quiet + noisy, today)
    assert [(w.category, w.district, w.today) for w in found] == [("交通/公交", None, 12), ("交通/公交", "pd", 12)]
    city = found[0]
    assert city.mean == 2.5 and city.spread == 0.5 and city.z == 9.5   # 14 days at 3, 14 at 2
    assert spikes(noisy, today, Settings(min_count=13)) == []           # the minimum count holds it back
    assert spikes(noisy, today, Settings(z_threshold=10.0)) == []


async def test_given_a_spike_seeded_in_the_store_then_it_warns_and_the_steady_category_does_not(store):
    tickets, sessions, clock = store
    today = date(2026, 11, 29)
    for i in range(1, 29):
        day = (today - timedelta(days=i)).isoformat()
        await ticket(tickets, clock, f"{day} 10:00", "城市管理/噪音", "xh")
        if i % 7 == 0:
            await ticket(tickets, clock, f"{day} 11:00", "交通/公交", "pd")
    for h in range(10, 16):
        await ticket(tickets, clock, f"{today.isoformat()} {h}:00", "交通/公交", "pd", "wechat")
    await ticket(tickets, clock, f"{today.isoformat()} 09:00", "城市管理/噪音", "xh")
    rows = await day_counts(sessions, today - timedelta(days=28), today)
    found = spikes(rows, today, Settings(z_threshold=3.0, min_count=5))
    assert {(w.category, w.district) for w in found} == {("交通/公交", None), ("交通/公交", "pd")}
    assert found[0].today == 6 and found[0].mean == round(4 / 28, 2)
