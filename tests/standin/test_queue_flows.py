"""Queue call flows 02a–02d against the traces (lab configs, time scale 0.02)."""
from __future__ import annotations

import asyncio

from .amiclient import get, trace_messages
from .conformance import linkedid_ok, per_channel, shapes

ORIG = dict(Context="caller", Exten="wait", Priority="1", CallerID='"Citizen Zhang" <13800138000>', Timeout="30000", Async="true")


def _index(msgs, event, **fields):
    for i, m in enumerate(msgs):
        if m[0] == ("Event", event) and all(get(m, k) == v for k, v in fields.items()):
            return i
    raise AssertionError(f"{event} {fields} not found")


async def _run_until_hangup(ami, channel_prefix: str, count: int = 2, limit: float = 10.0):
    seen = 0
    start = 0
    async with asyncio.timeout(limit):
        while seen < count:
            await ami.wait_for(lambda m: m[0] == ("Event", "Hangup") and get(m, "Channel").startswith(channel_prefix), start=start)
            idx = max(i for i, m in enumerate(ami.messages) if m[0] == ("Event", "Hangup") and get(m, "Channel").startswith(channel_prefix))
            start = idx + 1
            seen = sum(1 for m in ami.messages if m[0] == ("Event", "Hangup") and get(m, "Channel").startswith(channel_prefix))


async def test_given_empty_queue_when_queue_timeout_then_abandon_then_leave_and_timeout_status(ami):
    await ami.action("Originate", Channel="Local/12347@hotline-in", **ORIG)
    await _run_until_hangup(ami, "Local/12347@hotline-in")
    ours, theirs = ami.messages, trace_messages("02c-ami-queue-empty-timeout")
    assert per_channel(ours) == per_channel(theirs)
    ab = ours[_index(ours, "QueueCallerAbandon")]
    assert (get(ab, "Queue"), get(ab, "Position"), get(ab, "OriginalPosition"), get(ab, "HoldTime")) == ("hotline-empty", "1", "1", "5")
    assert _index(ours, "QueueCallerAbandon") < _index(ours, "QueueCallerLeave")
    assert _index(ours, "VarSet", Variable="QUEUESTATUS", Value="TIMEOUT") > 0
    assert linkedid_ok(ours)
    for name, keys in shapes(ours).items():
        assert keys == shapes(theirs)[name], name


async def test_given_strict_joinempty_then_no_queue_events_and_joinempty(ami):
    await ami.action("Originate", Channel="Local/12348@hotline-in", **ORIG)
    await _run_until_hangup(ami, "Local/12348@hotline-in")
    ours, theirs = ami.messages, trace_messages("02d-ami-queue-joinempty-strict")
    assert per_channel(ours) == per_channel(theirs)
    assert not [m for m in ours if m[0][1].startswith("Queue")]
    assert get(ours[_index(ours, "Newexten", Application="NoOp")], "AppData") == "QUEUESTATUS=JOINEMPTY"


async def test_given_ringing_member_when_caller_hangs_up_then_cancel_twice_abandon_leave(ami):
    await ami.action("Originate", Channel="Local/12346@hotline-in", **ORIG)
    ring = await ami.event("DialState", DialStatus="RINGING")
    caller1 = get(ring, "Channel").replace(";2", ";1")
    await ami.action("Hangup", Channel=caller1, Cause="16")
    await _run_until_hangup(ami, "Local/12346@hotline-in")
    await _run_until_hangup(ami, "Local/agent2@agents")
    ours, theirs = ami.messages, trace_messages("02b-ami-queue-caller-abandon")
    assert per_channel(ours) == per_channel(theirs)
    cancels = [i for i, m in enumerate(ours) if m[0] == ("Event", "DialEnd") and get(m, "DialStatus") == "CANCEL"]
    assert len(cancels) == 2
    assert cancels[-1] < _index(ours, "QueueCallerAbandon") < _index(ours, "QueueCallerLeave")
    assert linkedid_ok(ours)
    for name, keys in shapes(ours).items():
        assert keys == shapes(theirs)[name], name


async def test_given_answering_member_then_fact15_order_and_agent_complete(ami, standin):
    """02a without the AGI step: the lab AGI server is absent, so AGISTATUS=FAILURE and the call goes on to the queue."""
    await ami.action("Originate", Channel="Local/12345@hotline-in", **ORIG)
    await _run_until_hangup(ami, "Local/12345@hotline-in", limit=15)
    ours = ami.messages
    chain = ["QueueCallerJoin", "MusicOnHoldStart", "AgentCalled", "DialBegin", "MusicOnHoldStop", "QueueCallerLeave",
             "AgentConnect", "BridgeCreate", "AgentComplete", "BridgeDestroy"]
    idx = [_index(ours, e) if e not in ("DialBegin",) else _index(ours, e, DestChannel=get(ours[_index(ours, "AgentCalled")], "DestChannel"))
           for e in chain]
    assert idx == sorted(idx)
    assert _index(ours, "DialEnd", DialStatus="ANSWER") < _index(ours, "MusicOnHoldStop")
    comp = ours[_index(ours, "AgentComplete")]
    assert get(comp, "Reason") == "agent" and get(comp, "TalkTime") in ("3", "4", "5")  # Wait(3) + scheduling slack
    theirs = trace_messages("02a-ami-call-ivr-queue-answered")
    for name, keys in shapes(ours).items():
        if name in shapes(theirs):
            assert keys == shapes(theirs)[name], name
    assert linkedid_ok(ours)
