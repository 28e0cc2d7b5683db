"""Trace 04 replayed request by request: every response and the QueueMember* events must match."""
from __future__ import annotations

from asterisk_standin.ami_wire import RequestParser

from .amiclient import TRACES, get, trace_messages
from .conformance import shapes

MEMBER_EVENTS = ("QueueMemberAdded", "QueueMemberPause", "QueueMemberPenalty", "QueueMemberRemoved")


def _requests(name: str):
    data = (TRACES / "raw" / f"{name}.ami1.to_asterisk.bin").read_bytes()
    return [r for r in RequestParser().feed(data) if hasattr(r, "headers")]


async def test_given_trace_04_requests_when_replayed_then_responses_and_member_events_match(ami):
    channel = None
    for req in _requests("04-ami-queue-management")[1:]:
        headers = {k: v.decode() for k, v in req.headers}
        action = headers.pop("Action")
        if action == "Hangup":
            headers["Channel"] = channel
        await ami.action(action, **headers)
        if action == "Originate":
            up = await ami.event("Newstate", ChannelStateDesc="Up")
            channel = get(up, "Channel").replace(";2", ";1")
            await ami.event("QueueMemberStatus", Queue="mgmt", Status="2")
        if action == "Hangup":
            await ami.event("QueueMemberStatus", Queue="mgmt", Status="1")
    ours, theirs = ami.messages, trace_messages("04-ami-queue-management")

    def responses(msgs):
        return [[(k, v) for k, v in m if k != "Output"] for m in msgs if m[0][0] == "Response"]

    assert responses(ours)[1:] == responses(theirs)[1:]

    def member_events(msgs):
        return [(m[0][1], get(m, "Queue"), get(m, "Interface"), get(m, "Paused"), get(m, "PausedReason"), get(m, "Penalty"))
                for m in msgs if m[0][1] in MEMBER_EVENTS]

    assert member_events(ours) == member_events(theirs)
    for name in (*MEMBER_EVENTS, "QueueMemberStatus", "QueueParams", "QueueMember", "QueueSummary", "QueueStatusComplete"):
        assert shapes(ours)[name] == shapes(theirs)[name], name

    def listing(msgs, aid):
        return sorted(tuple((k, v) for k, v in m if k not in ("LoginTime", "LastCall", "LastPause", "Holdtime", "TalkTime", "HoldTime", "Completed"))
                      for m in msgs if m[0][0] == "Event" and get(m, "ActionID") == aid)

    assert listing(ours, "ami1-7") == listing(theirs, "ami1-7")
    assert listing(ours, "ami1-17") == listing(theirs, "ami1-17")
