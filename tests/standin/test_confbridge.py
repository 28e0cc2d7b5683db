"""Trace 09a: emergency three-way through ConfBridge (dual Redirect, leave by Redirect/hangup, Kick all)."""
from __future__ import annotations

from .amiclient import get, trace_messages
from .conformance import per_channel, replay, shapes

UNORDERED = {"ConfbridgeJoin", "ConfbridgeStart", "ConfbridgeLeave"}  # fact 30: their place around Bridge* varies
COMMUTING = {"BridgeLeave", "Newexten"}  # redirect out of a Dial bridge: 05a and 09a show both orders


def canonical(seq: list[str]) -> list[str]:
    out = list(seq)
    changed = True
    while changed:
        changed = False
        for i in range(len(out) - 1):
            if {out[i], out[i + 1]} == COMMUTING and out[i] == "Newexten":
                out[i], out[i + 1] = out[i + 1], out[i]
                changed = True
    return out


async def test_given_trace_09a_then_conference_events_lists_and_responses_match(standin, connect):
    ami = await connect()
    await ami.action("Login", Username="lab", Secret="test-secret", Events="on")
    await replay(ami, "09a-ami-linkage-confbridge")
    theirs = trace_messages("09a-ami-linkage-confbridge")
    want = sum(1 for m in theirs if m[0] == ("Event", "Hangup"))
    await ami.wait_for(lambda _m: sum(1 for m in ami.messages if m[0] == ("Event", "Hangup")) >= want, limit=15)
    ours = ami.messages

    def strip(seqs):
        return {k: canonical([e for e in v if e not in UNORDERED]) for k, v in seqs.items()}

    a, b = strip(per_channel(ours)), strip(per_channel(theirs))
    import difflib

    diffs = ["\n".join(difflib.unified_diff(b.get(k, []), a.get(k, []), "trace", k, lineterm="", n=2))
             for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    assert not diffs, "\n".join(diffs)

    def joins(msgs):
        return sorted((get(m, "Channel").rsplit("-", 1)[0], get(m, "Conference"), get(m, "BridgeNumChannels"))
                      for m in msgs if m[0] == ("Event", "ConfbridgeJoin"))

    assert joins(ours) == joins(theirs)
    leaves = [sorted(get(m, "Channel").rsplit("-", 1)[0] for m in msgs if m[0] == ("Event", "ConfbridgeLeave")) for msgs in (ours, theirs)]
    assert leaves[0] == leaves[1]

    def responses(msgs):
        return [(get(m, "Response"), get(m, "Message"), get(m, "EventList")) for m in msgs if m[0][0] == "Response"][1:]

    assert responses(ours) == responses(theirs)

    def lists(msgs):
        return [(get(m, "ActionID"), get(m, "Channel").rsplit("-", 1)[0], get(m, "Exten"), get(m, "Priority"))
                for m in msgs if m[0] == ("Event", "ConfbridgeList")]

    assert lists(ours) == lists(theirs)
    for name in ("ConfbridgeStart", "ConfbridgeJoin", "ConfbridgeLeave", "ConfbridgeEnd", "ConfbridgeList", "ConfbridgeListRooms",
                 "ConfbridgeListComplete", "ConfbridgeListRoomsComplete"):
        assert shapes(ours)[name] == shapes(theirs)[name], name
    ends = [(get(m, "Conference"), get(m, "BridgeNumChannels")) for m in ours if m[0] == ("Event", "ConfbridgeEnd")]
    assert ends == [("linkage-1001", "1"), ("linkage-1002", "1")]
    await ami.close()
