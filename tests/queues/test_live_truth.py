"""Truthful live state and figures by their definitions (issue 10.2/10.3), from real Asterisk 22 bytes.

Traces: 02b (the caller hangs up 4 s into the agent's ringing), 02c (Queue() times out, nobody
to ring), 12 (one agent's whole console lifecycle, two calls). Where a scenario needs a second
queue or another order, the trace's own event blocks are copied or moved, never invented.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.ami.events import to_event
from hotline.ami.message import Source
from hotline.ami.protocol import AmiReader
from queues.live import LiveFloor
from tests.conftest import FIXTURES

RAW = FIXTURES / "traces" / "raw"
AGENT = ("pbx1", "Local/agent10@lab-agents")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def blocks(trace: str) -> list[bytes]:
    """The trace's bytes as Asterisk sent them, one block per message (banner first)."""
    data = (RAW / f"{trace}.ami1.from_asterisk.bin").read_bytes()
    return [b for b in data.split(b"\r\n\r\n") if b]


def parse(chunks: list[bytes]):
    reader = AmiReader(source=Source("pbx1", 1))
    return [to_event(m) for m in reader.feed(b"\r\n\r\n".join(chunks) + b"\r\n\r\n") if m.event]


def events(trace: str):
    return parse(blocks(trace))


def is_event(block: bytes, name: str) -> bool:
    return block.startswith(f"Event: {name}\r\n".encode())


def in_queue(block: bytes, queue: str) -> bytes:
    """The same member event, as app_queue sends it for the member's other queue."""
    return block.replace(b"Queue: lab-console\r\n", f"Queue: {queue}\r\n".encode())


def replay(evs, clock: Clock, floor: LiveFloor, step: float = 0.05, until=None):
    for event in evs:
        clock.now += timedelta(seconds=step)
        floor.handle(event)
        if until is not None and until(event):
            return event
    return None


# --- 10.3 truthful live state ---------------------------------------------------------------------

def test_caller_hanging_up_while_the_agents_phone_rings_leaves_the_agent_free_again():
    """02b: AgentCalled, then the caller hangs up; Asterisk sends no AgentRingNoAnswer."""
    clock = Clock()
    floor = LiveFloor(clock)
    evs = events("02b-ami-queue-caller-abandon")
    replay(evs, clock, floor, until=lambda e: e.name == "AgentCalled")
    (agent,) = floor.agents.values()
    assert agent.state == "ringing" and floor.available_agents("hotline-slow") == 0
    replay(evs[evs.index(next(e for e in evs if e.name == "AgentCalled")) + 1:], clock, floor)
    assert agent.state == "idle"
    assert floor.available_agents("hotline-slow") == 1  # the IVR's free-agent check sees the agent again


def _two_queue_call(block_filter=None):
    """Trace 12 with the agent also signed in to lab-other: app_queue sends each member event per
    queue, with that queue's own InCall (0 in the queue the call did not come from)."""
    out = []
    for block in blocks("12-ami-queue-member-lifecycle"):
        if block_filter is not None:
            block = block_filter(block)
            if block is None:
                continue
        out.append(block)
        if is_event(block, "QueueMemberAdded") or is_event(block, "QueueMemberPause"):
            out.append(in_queue(block, "lab-other"))
        elif is_event(block, "QueueMemberStatus"):
            out.append(in_queue(block, "lab-other").replace(b"InCall: 1\r\n", b"InCall: 0\r\n"))
    return out


def test_an_agent_talking_in_one_queue_is_busy_in_every_queue():
    clock = Clock()
    floor = LiveFloor(clock)
    evs = parse(_two_queue_call())
    connected = []
    replay(evs, clock, floor, until=lambda e: connected.append(1) if e.name == "AgentConnect" else (
        connected and e.name == "QueueMemberStatus" and e.queue == "lab-other"))
    agent = floor.agents[AGENT]
    assert agent.queues == {"lab-console", "lab-other"}
    assert agent.state == "talking"
    assert floor.available_agents("lab-other") == 0 and floor.available_agents("lab-console") == 0
    assert floor.snapshot()["queues"]["lab-other"]["agents"] == {"talking": 1}


def test_pausing_one_queue_of_a_talking_agent_does_not_make_the_agent_idle():
    clock = Clock()
    floor = LiveFloor(clock)
    all_blocks = _two_queue_call()
    # during the first call the agent unpauses lab-other only (QueuePause Queue=lab-other Paused=false)
    connect = next(i for i, b in enumerate(all_blocks) if is_event(b, "AgentConnect"))
    unpause = next(b for b in all_blocks if is_event(b, "QueueMemberPause") and b"Queue: lab-other" in b)
    chunks = all_blocks[:connect + 1] + [unpause]
    replay(parse(chunks), clock, floor)
    assert floor.agents[AGENT].state == "talking"
    assert floor.available_agents("lab-other") == 0


def test_a_member_removed_during_its_call_disappears_and_stays_gone():
    """Signed out mid-call: the call's AgentComplete and the device updates must not bring it back."""
    chunks = blocks("12-ami-queue-member-lifecycle")
    removed = next(b for b in chunks if is_event(b, "QueueMemberRemoved"))
    chunks = [b for b in chunks if b is not removed]
    connect = next(i for i, b in enumerate(chunks) if is_event(b, "AgentConnect"))
    complete = next(i for i, b in enumerate(chunks) if is_event(b, "AgentComplete"))
    # after the removal Asterisk reports nothing more about that member, but the call goes on
    chunks = chunks[:connect + 1] + [removed] + [b for b in chunks[connect + 1:complete + 1]
                                                 if not b.startswith(b"Event: QueueMember")]
    clock = Clock()
    floor = LiveFloor(clock)
    replay(parse(chunks), clock, floor)
    assert floor.agents == {}
    assert floor.snapshot()["agents"] == []
    assert floor.available_agents("lab-console") == 0


def _without_channel(block: bytes) -> bytes:
    """AgentComplete as Asterisk 22 may send it once the caller's channel is gone: no channel fields."""
    if not is_event(block, "AgentComplete"):
        return block
    lines = block.split(b"\r\n")
    return b"\r\n".join(line for line in lines if line.startswith((b"Event:", b"Privilege:", b"Dest", b"Queue:",
                                                                  b"Interface:", b"MemberName:", b"HoldTime:",
                                                                  b"TalkTime:", b"Reason:")))


def test_agent_complete_without_channel_fields_ends_the_talk_in_its_queue_only():
    """Without the member status updates (dropped here), only AgentComplete can end the talk."""
    clock = Clock()
    floor = LiveFloor(clock)
    chunks = [b for b in _two_queue_call(_without_channel) if not is_event(b, "QueueMemberStatus")]
    complete = next(i for i, b in enumerate(chunks) if is_event(b, "AgentComplete"))
    evs = parse(chunks[:complete + 1])
    assert evs[-1].name == "AgentComplete" and evs[-1].channel is None
    replay(evs[:-1], clock, floor)
    agent = floor.agents[AGENT]
    assert agent.state == "talking"
    replay(evs[-1:], clock, floor)
    assert agent.state == "idle"
    assert floor.available_agents("lab-other") == 1 and floor.available_agents("lab-console") == 1


# --- 10.2 figures by their definitions -----------------------------------------------------------

@pytest.mark.parametrize(("trace", "queue", "abandoned", "timeout"), [
    ("02b-ami-queue-caller-abandon", "hotline-slow", 1, 0),
    ("02c-ami-queue-empty-timeout", "hotline-empty", 0, 1),
])
def test_an_abandon_and_a_queue_timeout_are_told_apart(trace, queue, abandoned, timeout):
    """Asterisk sends QueueCallerAbandon for both; only a timeout is followed by QUEUESTATUS=TIMEOUT."""
    clock = Clock()
    floor = LiveFloor(clock)
    replay(events(trace), clock, floor)
    assert floor.waiting() == []
    for figures in (floor.service_level.figures(None), floor.service_level.figures(queue)):
        assert (figures["offered"], figures["answered"], figures["abandoned"], figures["timeout"]) == \
            (1, 0, abandoned, timeout)
        assert figures["waiting_or_in_progress"] == 0
        assert figures["connection_rate_pct"] == 0.0 and "connection_rate_pct" in figures["missed_targets"]
        assert figures["abandoned_pct"] == (100.0 if abandoned else 0.0)


def test_a_timeout_is_undecided_until_the_dialplan_reads_queuestatus():
    """02c: QueueCallerAbandon and QueueCallerLeave come first; the VarSet decides it is a timeout."""
    clock = Clock()
    floor = LiveFloor(clock)
    evs = events("02c-ami-queue-empty-timeout")
    replay(evs, clock, floor, until=lambda e: e.name == "QueueCallerLeave")
    assert floor.service_level.figures(None)["waiting_or_in_progress"] == 1
    rest = evs[evs.index(next(e for e in evs if e.name == "QueueCallerLeave")) + 1:]
    replay(rest, clock, floor)
    figures = floor.service_level.figures(None)
    assert (figures["timeout"], figures["abandoned"]) == (1, 0)


def test_answered_within_15_s_uses_asterisks_hold_time_not_the_engines_clock():
    """Trace 12 replayed with 3 s between events (a slow engine): Asterisk's HoldTime is 0 and 4 s."""
    clock = Clock()
    floor = LiveFloor(clock)
    replay(events("12-ami-queue-member-lifecycle"), clock, floor, step=3.0)
    for figures in (floor.service_level.figures(None), floor.service_level.figures("lab-console")):
        assert figures["answered"] == 2 and figures["answered_15s_pct"] == 100.0
        assert figures["answered_15s"] == 2
        assert figures["average_wait"] == 2.0


def test_per_agent_answered_comes_from_our_records_not_asterisks_calls_taken():
    """Signed out and in again, Asterisk's CallsTaken restarts at 0 (QueueMemberAdded); the agent's
    two answered calls still count."""
    clock = Clock()
    floor = LiveFloor(clock)
    chunks = blocks("12-ami-queue-member-lifecycle")
    replay(parse(chunks), clock, floor)
    assert floor.agents == {}
    added_again = next(b for b in chunks if is_event(b, "QueueMemberAdded"))
    replay(parse([chunks[0], added_again]), clock, floor)
    agent = floor.agents[AGENT]
    assert agent.calls_taken == 0                      # what Asterisk says now
    (row,) = floor.snapshot()["agents"]
    assert row["answered"] == 2


def test_an_agent_paused_in_one_queue_only_counts_as_paused_there_and_free_in_the_other():
    """Trace 12's 午休 pause, sent for lab-console only while the agent is also in lab-other."""
    chunks = []
    for block in blocks("12-ami-queue-member-lifecycle"):
        chunks.append(block)
        if is_event(block, "QueueMemberAdded") or (is_event(block, "QueueMemberPause") and b"Paused: 0" in block):
            chunks.append(in_queue(block, "lab-other"))
        if is_event(block, "QueueMemberPause") and "午休\r\n".encode() in block:
            break
    clock = Clock()
    floor = LiveFloor(clock)
    replay(parse(chunks), clock, floor)
    queues = floor.snapshot()["queues"]
    assert queues["lab-console"]["agents"] == {"paused": 1}
    assert queues["lab-other"]["agents"] == {"idle": 1}
    assert floor.available_agents("lab-other") == 1 and floor.available_agents("lab-console") == 0
