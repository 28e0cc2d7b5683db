"""The live floor projected from real Asterisk event streams (traces 02a, 02b, 02c, 10, 12)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.ami.events import to_event
from hotline.ami.message import Source
from hotline.ami.protocol import AmiReader
from queues.live import LiveFloor
from tests.conftest import FIXTURES

RAW = FIXTURES / "traces" / "raw"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def events(trace: str):
    reader = AmiReader(source=Source("pbx1", 1))
    messages = reader.feed((RAW / f"{trace}.ami1.from_asterisk.bin").read_bytes())
    return [to_event(m) for m in messages if m.event]


def replay(trace: str, clock: Clock, floor: LiveFloor, step: float = 0.05):
    seen = []
    for event in events(trace):
        clock.now += timedelta(seconds=step)
        floor.handle(event)
        seen.append(event.name)
    return seen


def test_answered_call_is_counted_answered_and_leaves_no_caller_waiting():
    clock = Clock()
    floor = LiveFloor(clock)
    replay("02a-ami-call-ivr-queue-answered", clock, floor)
    assert floor.waiting() == []
    figures = floor.service_level.figures("hotline")
    assert figures["offered"] == 1 and figures["answered"] == 1 and figures["abandoned"] == 0
    assert figures["answered_15s_pct"] == 100.0 and figures["connection_rate_pct"] == 100.0
    assert floor.service_level.figures(None)["answered"] == 1


@pytest.mark.parametrize(("trace", "outcome"), [("02b-ami-queue-caller-abandon", "abandoned"),
                                              ("02c-ami-queue-empty-timeout", "timeout")])
def test_abandon_counts_as_abandoned_and_a_queue_timeout_as_timed_out(trace, outcome):
    """Asterisk sends QueueCallerAbandon for both; a timeout is not an abandon (docs/metrics.md)."""
    clock = Clock()
    floor = LiveFloor(clock)
    replay(trace, clock, floor)
    assert floor.waiting() == []
    center = floor.service_level.figures(None)
    assert (center["offered"], center["answered"], center[outcome]) == (1, 0, 1)
    assert center["abandoned"] + center["timeout"] == 1
    assert center["connection_rate_pct"] == 0.0 and "connection_rate_pct" in center["missed_targets"]


def test_waiting_callers_are_listed_with_their_chinese_names_while_they_wait():
    clock = Clock()
    floor = LiveFloor(clock)
    all_events = events("10-ami-queue-waiting-prio")
    first_agent = next(i for i, e in enumerate(all_events) if e.name == "QueueMemberAdded")
    for event in all_events[:first_agent]:
        clock.now += timedelta(seconds=0.5)
        floor.handle(event)
    names = {c.caller_name for c in floor.waiting("lab-wait")}
    assert names == {"张伟", "李娜", "王芳", "赵强"}
    assert floor.longest_wait("lab-wait") > 0
    joined_second = sorted(floor.waiting("lab-wait"), key=lambda c: c.joined_at)[1].joined_at
    assert floor.callers_ahead("lab-wait", joined_second) == 2


def test_member_lifecycle_pause_reason_and_calls_taken():
    clock = Clock()
    floor = LiveFloor(clock)
    states = []
    floor.listeners.append(lambda kind, e: states.append(
        next(iter(floor.agents.values())).state if floor.agents else None))
    replay("12-ami-queue-member-lifecycle", clock, floor)
    assert {"paused", "idle", "ringing", "talking"} <= set(states)
    # the trace ends with QueueRemove: the agent is gone from the floor
    assert floor.agents == {}


def test_pause_reason_is_shown_while_paused():
    clock = Clock()
    floor = LiveFloor(clock)
    for event in events("12-ami-queue-member-lifecycle"):
        floor.handle(event)
        if event.name == "QueueMemberPause" and event.paused and event.paused_reason == "午休":
            break
    (agent,) = floor.agents.values()
    assert agent.state == "paused" and agent.paused_reason == "午休" and agent.name == "坐席01"
    assert floor.available_agents("lab-console") == 0
    snap = floor.snapshot()
    assert snap["agents"][0]["paused_reason"] == "午休"


class FakeSession:
    server = "pbx1"

    def __init__(self, items):
        self._items = items

    async def send(self, action):
        assert action == "QueueStatus"
        return type("R", (), {"items": self._items})()


async def test_resync_replaces_stale_state_with_what_asterisk_reports():
    clock = Clock()
    floor = LiveFloor(clock)
    replay("10-ami-queue-waiting-prio", clock, floor)  # leaves whatever the trace leaves
    floor.callers["stale.1"] = floor.callers.get("stale.1") or type(
        "C", (), {"server": "pbx1", "queue": "lab-wait", "joined_at": clock.now})()
    reader = AmiReader(source=Source("pbx1", 2))
    messages = reader.feed((RAW / "10-ami-queue-waiting-prio.ami1.from_asterisk.bin").read_bytes())
    entries = [m for m in messages if m.event in ("QueueParams", "QueueMember", "QueueEntry")]
    first_status = []
    for m in entries:  # the first QueueStatus answer of the trace: 4 callers waiting, no members
        if m.event == "QueueParams" and first_status:
            break
        first_status.append(m)
    await floor.resync(FakeSession(first_status))
    assert "stale.1" not in floor.callers
    reported = {m["CallerIDName"] for m in first_status if m.event == "QueueEntry"}
    assert len(reported) >= 3 and "张伟" in reported
    assert {c.caller_name for c in floor.waiting("lab-wait")} == reported
    assert floor.resyncs == 1


def test_callers_still_waiting_do_not_count_against_the_connection_rate():
    from queues.service_level import ServiceLevel

    clock = Clock()
    sl = ServiceLevel(clock)
    for i in range(4):
        sl.joined("hotline-general", f"call.{i}", f"call.{i}")
    sl.left("call.0")
    sl.answered("hotline-general", "call.0", 5, ("pbx1", "PJSIP/8001"))
    figures = sl.figures(None)
    assert figures["offered"] == 4 and figures["waiting_or_in_progress"] == 3
    assert figures["connection_rate_pct"] == 100.0 and figures["answered_15s_pct"] == 100.0
    sl.hangup("call.1", "call.1", gone=False)   # the caller hangs up while queued
    sl.abandon_reported("call.1", 40)
    assert sl.figures(None)["connection_rate_pct"] == 50.0


def _member_status(queue: str, status: int, paused: int = 0) -> bytes:
    return (f"Event: QueueMemberStatus\r\nPrivilege: agent,all\r\nQueue: {queue}\r\nMemberName: 专席01\r\n"
            "Interface: Local/agent10@lab-agents\r\nStateInterface: Local/agent10@lab-agents\r\nMembership: dynamic\r\n"
            "Penalty: 0\r\nCallsTaken: 0\r\nLastCall: 0\r\nLastPause: 0\r\nLoginTime: 1795354991\r\nInCall: 0\r\n"
            f"Status: {status}\r\nPaused: {paused}\r\nPausedReason: \r\nRinginuse: 0\r\nWrapuptime: 0\r\n\r\n").encode()


def test_an_agent_whose_phone_is_in_use_outside_the_queue_is_not_free_but_still_lets_callers_join():
    """ringinuse=no: Asterisk offers no caller to a member whose device is in use, so the IVR must not
    count it free (a caller would otherwise skip intake and wait); strict joinempty still admits callers."""
    floor = LiveFloor(Clock())
    reader = AmiReader(source=Source("pbx1", 1))

    def feed(data: bytes) -> None:
        for m in reader.feed(data):
            floor.handle(to_event(m))

    feed(_member_status("line-12315", 1))
    assert floor.available_agents("line-12315") == 1
    feed(_member_status("line-12315", 2))
    assert floor.available_agents("line-12315") == 0
    assert floor.accepts_callers("line-12315")
    assert [a.state for a in floor.agents.values()] == ["talking"]
    feed(_member_status("line-12315", 1, paused=1))
    assert not floor.accepts_callers("line-12315")
    feed(_member_status("line-12315", 5))
    assert not floor.accepts_callers("line-12315") and floor.available_agents("line-12315") == 0
