"""The live path at Beijing scale: views that only age are byte-identical, shared views are serialised once,
pops are found by phone without a scan, and a long flush lets AMI ingest run in between."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from agent_console.live.hub import LiveHub, Subscriber
from agent_console.screenpop.index import PopIndex
from agent_console.screenpop.pops import Pop, ScreenPops
from agent_console.wallboard.board import VIEW_KEY, Wallboard, seconds_since
from agent_console.wallboard.delta import board_delta
from areas_support import agent_called, agent_connect, caller_join, member
from queues.live import LiveFloor
from test_console_live import FakeSocket

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


class Ticking:
    def __init__(self) -> None:
        self.now, self.mono = T0, 0.0

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


def busy_board(clock: Ticking) -> tuple[LiveFloor, Wallboard]:
    floor = LiveFloor(lambda: clock.now)
    floor.handle(member("PJSIP/8101", "张三"))
    floor.handle(member("PJSIP/8102", "李四", paused=True, reason="午休"))
    floor.handle(caller_join("c1"))
    floor.handle(agent_connect("c0", "PJSIP/8101"))
    board = Wallboard({"floor": floor}, None, lambda: clock.now, lambda: None, monotonic=lambda: clock.mono)
    return floor, board


def test_given_a_busy_floor_when_only_time_passes_then_the_wallboard_bytes_do_not_change():
    clock = Ticking()
    floor, board = busy_board(clock)
    first = json.dumps(board.view(), ensure_ascii=False)
    clock.advance(7.0)
    board.floor_changed()  # even a recompute gives the same bytes
    assert json.dumps(board.view(), ensure_ascii=False) == first
    view = json.loads(first)
    talking = next(a for a in view["agents"] if a["interface"] == "PJSIP/8101")
    assert talking["state"] == "talking" and talking["since"] == T0.isoformat() and "seconds" not in talking
    assert view["center"]["longest_since"] == T0.isoformat() and view["queues"][0]["longest_since"] == T0.isoformat()


def test_given_a_floor_change_when_the_wallboard_is_read_then_its_bytes_change():
    clock = Ticking()
    floor, board = busy_board(clock)
    first = json.dumps(board.view(), ensure_ascii=False)
    clock.advance(3.0)
    floor.handle(agent_called("c2", "PJSIP/8102"))
    board.floor_changed()
    assert json.dumps(board.view(), ensure_ascii=False) != first


def test_given_an_empty_queue_or_a_since_when_rendered_server_side_then_the_wait_is_whole_seconds():
    assert seconds_since(None, T0) == 0
    assert seconds_since(T0.isoformat(), T0 + timedelta(seconds=41.6)) == 42
    assert seconds_since((T0 + timedelta(seconds=5)).isoformat(), T0) == 0  # clocks a little apart: never negative


async def test_given_fifty_wallboards_and_three_agents_when_flushed_then_four_serialisations_and_shared_bytes(
        no_stray_tasks):
    hub = LiveHub(lambda: T0)
    renders = []
    view = {"agents": [{"interface": f"PJSIP/{n}", "state": "idle"} for n in range(100)]}

    def board_view():
        renders.append("board")
        return view
    boards = [FakeSocket() for _ in range(50)]
    for ws in boards:
        hub._subscribers.add(Subscriber(ws, board_view, "sup", T0 + timedelta(hours=1), view_key=VIEW_KEY))
    agents = [FakeSocket() for _ in range(3)]
    for n, ws in enumerate(agents):
        hub._subscribers.add(Subscriber(ws, lambda n=n: {"state": "idle", "n": n}, f"a{n}", T0 + timedelta(hours=1)))
    await hub.flush()
    assert (hub.serialisations, len(renders), hub.messages_sent) == (4, 1, 53)
    assert all(ws.messages == [view] for ws in boards) and [ws.messages[0]["n"] for ws in agents] == [0, 1, 2]
    await hub.flush()  # nothing changed: rendered again, nothing sent
    assert hub.messages_sent == 53


async def test_given_a_shared_view_that_fails_when_flushed_then_every_page_on_it_closes_and_the_rest_are_served(
        no_stray_tasks):
    hub = LiveHub(lambda: T0)
    broken = [FakeSocket() for _ in range(3)]
    for ws in broken:
        hub._subscribers.add(Subscriber(ws, lambda: 1 / 0, "sup", T0 + timedelta(hours=1), view_key=VIEW_KEY))
    ok = FakeSocket()
    hub._subscribers.add(Subscriber(ok, lambda: {"state": "idle"}, "a", T0 + timedelta(hours=1)))
    await hub.flush()
    assert [ws.closed_with for ws in broken] == [1011] * 3 and ok.messages == [{"state": "idle"}] and len(hub) == 1
    assert hub.serialisations == 1  # the broken view was tried once, not once per page


async def test_given_many_pages_when_flushing_then_the_loop_runs_other_work_between_them(no_stray_tasks):
    hub = LiveHub(lambda: T0, yield_every=10)
    pages = [FakeSocket() for _ in range(100)]
    for n, ws in enumerate(pages):
        hub._subscribers.add(Subscriber(ws, lambda n=n: {"n": n}, f"s{n}", T0 + timedelta(hours=1)))
    seen_mid_flush = []

    async def ingest():
        seen_mid_flush.append(hub.messages_sent)
    task = asyncio.create_task(ingest())
    await hub.flush()
    await task
    assert seen_mid_flush and 0 < seen_mid_flush[0] < 100 and hub.messages_sent == 100


async def test_given_a_page_that_leaves_while_the_flush_yields_when_its_turn_comes_then_nothing_is_sent_to_it(
        no_stray_tasks):
    hub = LiveHub(lambda: T0, yield_every=1)
    first, second = FakeSocket(), FakeSocket()
    subs = [Subscriber(ws, lambda: {"state": "idle"}, "s", T0 + timedelta(hours=1)) for ws in (first, second)]
    for sub in subs:
        hub._subscribers.add(sub)

    async def leave():
        for sub in subs:
            if not sub.sent:
                hub.remove(sub)
    task = asyncio.create_task(leave())
    await hub.flush()
    await task
    assert sorted(len(ws.messages) for ws in (first, second)) == [0, 1] and len(hub) == 1


async def test_given_a_slow_flush_when_the_hub_runs_then_the_batch_window_counts_from_the_flush_start(
        no_stray_tasks):
    mono = [100.0]
    waits: list[float] = []
    waited = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        waited.set()
        await asyncio.Event().wait()
    hub = LiveHub(lambda: T0, batch_seconds=0.25, tick_seconds=60, sleep=sleep, monotonic=lambda: mono[0])

    def slow_view():
        mono[0] += 0.1  # rendering takes 100 ms of the 250 ms window
        return {"state": "idle"}
    hub._subscribers.add(Subscriber(FakeSocket(), slow_view, "s", T0 + timedelta(hours=1)))
    hub.start()
    hub.changed()
    async with asyncio.timeout(2):
        await waited.wait()
    await hub.close()
    assert len(waits) == 1 and abs(waits[0] - 0.15) < 1e-9


def pop(interface: str, server: str = "pbx1", linkedid: str = "L1", at: datetime = T0) -> Pop:
    return Pop(server, interface, linkedid, "hotline-general", "13800138000", "张伟", at)


def test_given_pops_on_two_servers_when_looked_up_by_phone_then_the_newest_one_comes_back():
    index = PopIndex()
    index[("pbx1", "PJSIP/8101")] = pop("PJSIP/8101", "pbx1", "old")
    index[("pbx2", "PJSIP/8101")] = pop("PJSIP/8101", "pbx2", "new", T0 + timedelta(seconds=5))
    index[("pbx1", "PJSIP/8102")] = pop("PJSIP/8102")
    assert index.latest("PJSIP/8101").linkedid == "new" and index.latest("PJSIP/9999") is None
    del index[("pbx2", "PJSIP/8101")]
    assert index.latest("PJSIP/8101").linkedid == "old" and len(index) == 2
    index.clear()
    assert index.latest("PJSIP/8101") is None and index.latest("PJSIP/8102") is None and dict(index) == {}


def test_given_many_open_pops_when_each_agent_page_asks_then_every_phone_finds_its_own_pop():
    pops = ScreenPops({}, lambda: T0, lambda: None)
    for n in range(750):
        pops.pops[("pbx1", f"PJSIP/{8000 + n}")] = pop(f"PJSIP/{8000 + n}", linkedid=f"L{n}")
    assert all(pops.pop_of(f"PJSIP/{8000 + n}").linkedid == f"L{n}" for n in range(750))
    assert pops.pop_of(None) is None and pops.pop_of("PJSIP/7999") is None


def test_given_a_pop_when_dismissed_by_the_wrong_call_or_no_phone_then_it_stays_and_the_right_call_drops_it():
    changes = []
    pops = ScreenPops({}, lambda: T0, lambda: changes.append(1))
    pops.pops[("pbx1", "PJSIP/8101")] = pop("PJSIP/8101", linkedid="L1")
    assert pops.dismiss("PJSIP/8101", "L2") is False and pops.dismiss(None, "L1") is False
    assert pops.dismiss("PJSIP/8101", "L1") is True
    assert pops.pop_of("PJSIP/8101") is None and len(pops.pops) == 0 and changes == [1]


def test_given_a_shown_board_when_one_agent_changes_then_the_delta_carries_that_row_and_the_small_parts():
    clock = Ticking()
    floor, board = busy_board(clock)
    shown = board.view()
    assert board_delta(shown, shown) is None
    floor.handle(agent_called("c2", "PJSIP/8102"))
    board.floor_changed()
    delta = board_delta(shown, board.view())
    assert delta["delta"] is True and [a["interface"] for a in delta["agents"]] == ["PJSIP/8102"]
    assert delta["gone"] == [] and delta["center"] == board.view()["center"] and "chart" in delta
    board.floor_changed()
    assert board_delta(board.view(), board.view()) is None  # recomputed, equal: nothing to send


def test_given_an_agent_removed_when_the_delta_is_made_then_it_names_the_gone_phone():
    old = {"center": {}, "queues": [], "chart": {}, "targets": {}, "connected": True,
           "agents": [{"interface": "PJSIP/1", "name": "甲"}, {"interface": "PJSIP/2", "name": "乙"}]}
    new = {**old, "agents": [{"interface": "PJSIP/2", "name": "乙"}]}
    assert board_delta(old, new) == {"delta": True, "center": {}, "queues": [], "chart": {}, "targets": {},
                                     "connected": True, "agents": [], "gone": ["PJSIP/1"]}
    assert board_delta(new, {**new, "connected": False})["connected"] is False


async def test_given_wallboards_on_deltas_when_one_row_changes_then_all_get_the_same_small_message_once(
        no_stray_tasks):
    hub = LiveHub(lambda: T0)
    current = {"center": {}, "queues": [], "chart": {}, "targets": {}, "connected": True,
               "agents": [{"interface": f"PJSIP/{n}", "name": f"n{n:03}", "state": "idle"} for n in range(300)]}
    boards = [FakeSocket() for _ in range(20)]
    for ws in boards:
        await hub.add(Subscriber(ws, lambda: current, "sup", T0 + timedelta(hours=1), view_key=VIEW_KEY,
                                 delta=board_delta))
    before = hub.serialisations
    await hub.flush()  # nothing changed since each page's full view
    assert hub.serialisations == before and all(len(ws.messages) == 1 for ws in boards)
    current = {**current, "agents": [dict(a, state="talking") if a["interface"] == "PJSIP/7" else a
                                     for a in current["agents"]]}
    await hub.flush()
    assert hub.serialisations == before + 1
    expected = {"delta": True, "center": {}, "queues": [], "chart": {}, "targets": {}, "connected": True,
                "agents": [{"interface": "PJSIP/7", "name": "n007", "state": "talking"}], "gone": []}
    assert all(ws.messages[-1] == expected for ws in boards)
    late = FakeSocket()
    await hub.add(Subscriber(late, lambda: current, "sup", T0 + timedelta(hours=1), view_key=VIEW_KEY,
                             delta=board_delta))
    assert late.messages[0]["agents"][7]["state"] == "talking" and "delta" not in late.messages[0]
