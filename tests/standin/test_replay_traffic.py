"""The load generator's replayed calls (`hotline simulate --replay-calls`): recorded Asterisk 22 calls
with fresh ids per call, delivered to a logged-in AMI session as a real Asterisk would send them."""
from __future__ import annotations

import asyncio
from collections import defaultdict

from asterisk_standin.replay import CallValues, render
from asterisk_standin.replay_traffic import ReplayPlan, Sink, run_replay, shipped_templates

from .amiclient import get

RECORDED_IDS = (b"1796233360.", b"13800138019")  # trace 20's Uniqueid prefix and caller


def test_given_the_recorded_answered_call_when_rendered_twice_then_no_recorded_id_remains_and_the_calls_differ():
    call = shipped_templates()["answered"]
    one, two = (b"".join(data for _, data in render(sum(call.phases, ()), CallValues(1800000000, n, b"13912345678",
                                                                                     b"8002")))
                for n in (1, 2))
    assert not any(recorded in one for recorded in RECORDED_IDS)
    assert b"CallerIDNum: 13912345678" in one and b"Local/8002@" in one
    assert one != two and one.count(b"\r\n\r\n") == call.events


async def test_given_a_logged_in_session_when_replaying_then_every_call_arrives_whole_under_its_own_linkedid(
        standin, ami):
    lines: list[str] = []
    plan = ReplayPlan(40, 1.0, wait_mean=0.05, talk_mean=0.1, abandon_share=0.3, agents=(b"8001", b"8002"), seed=7,
                      progress_every=0.5)
    report = await run_replay(Sink(standin.ami), plan, say=lines.append)
    await asyncio.sleep(0.3)
    calls, replayed = defaultdict(list), 0
    for msg in ami.messages:
        if msg[0][0] == "Event" and msg[0][1] not in ("FullyBooted", "SuccessfulAuth"):
            replayed += 1
            if get(msg, "Linkedid"):  # DeviceStateChange and QueueMemberStatus name no call
                calls[get(msg, "Linkedid")].append(msg[0][1])
    assert report.calls > 20 and len(calls) == report.calls
    answered = [c for c in calls.values() if "AgentConnect" in c]
    abandoned = [c for c in calls.values() if "QueueCallerAbandon" in c]
    assert len(answered) == report.answered and len(abandoned) == report.abandoned
    assert all(c.index("QueueCallerJoin") < c.index("AgentConnect") < c.index("Hangup") for c in answered)
    assert replayed == report.events
    assert lines and "AMI 事件" in lines[0]
    assert f"{report.answered} / {report.abandoned}" in report.table_zh()
