"""Trace 10: waiting callers, QUEUE_PRIO position, QueueStatus entries, service order, abandon of the last caller."""
from __future__ import annotations

from .amiclient import get, trace_messages
from .conformance import replay, shapes


async def test_given_trace_10_requests_then_positions_entries_and_service_order_match(standin, connect):
    theirs = trace_messages("10-ami-queue-waiting-prio")
    ami = await connect()
    await ami.action("Login", Username="lab", Secret="test-secret", Events="on")
    await replay(ami, "10-ami-queue-waiting-prio")
    await ami.event("QueueSummaryComplete", ActionID="ami1-21")
    ours = ami.messages

    def joins_of(msgs):
        return [(get(m, "CallerIDName"), get(m, "Position"), get(m, "Count")) for m in msgs if m[0] == ("Event", "QueueCallerJoin")]

    assert joins_of(ours) == joins_of(theirs)

    def entries(msgs, aid):
        return [(get(m, "Position"), get(m, "CallerIDName"), get(m, "Priority")) for m in msgs
                if m[0] == ("Event", "QueueEntry") and get(m, "ActionID") == aid]

    for aid in ("ami1-5", "ami1-8", "ami1-13", "ami1-14", "ami1-16"):
        assert entries(ours, aid) == entries(theirs, aid), aid

    def served(msgs):
        return [(get(m, "CallerIDName"), get(m, "Event")) for m in msgs if m[0][1] in ("AgentConnect", "AgentComplete", "QueueCallerAbandon")]

    assert served(ours) == served(theirs)
    ab = [m for m in ours if m[0] == ("Event", "QueueCallerAbandon")][-1]
    assert (get(ab, "Position"), get(ab, "OriginalPosition")) == ("1", "4")
    for name in ("QueueEntry", "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "QueueSummary"):
        assert shapes(ours)[name] == shapes(theirs)[name], name
    empty = [m for m in ours if get(m, "ActionID") == "ami1-11"]
    assert [m[0] for m in empty] == [("Response", "Success"), ("Event", "QueueStatusComplete")]
    await ami.close()
