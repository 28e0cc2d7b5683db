"""Trace 08: sync/async Originate, failures, Application originate, Status, CoreShowChannels, Getvar/Setvar, UserEvent."""
from __future__ import annotations

from .amiclient import get, trace_messages
from .conformance import per_channel, shapes

# Real time: in the trace the agent4 `;2` was still inside Answer()'s 500 ms media wait when it was hung up.
TIME_SCALE = 1.0


def _responses(msgs):
    return [[(k, v) for k, v in m if k not in ("ActionID",)] for m in msgs if m[0][0] == "Response"]


async def test_given_trace_08_actions_then_responses_events_and_shapes_match(ami):
    r = await ami.action("Originate", Channel="Local/agent4@agents", Context="caller", Exten="wait", Priority="1",
                         CallerID="12345 <12345>", Timeout="10000", Variable="ENG_TAG=t1,ENG_TAG2=t2")
    assert get(r, "Message") == "Originate successfully queued"
    nc = await ami.event("Newchannel")
    two = get(nc, "Channel").replace(";1", ";2")
    one = two.replace(";2", ";1")
    await ami.event("Newexten", Channel=one, Application="Wait")
    st = await ami.action("Status", Channel=two)
    assert [k for k, _ in st] == ["Response", "ActionID", "EventList", "Message"]
    await ami.action("Status", Channel=two, Variables="ENG_TAG,CALLERID(num)")
    await ami.event("StatusComplete")
    await ami.action("CoreShowChannels")
    await ami.event("CoreShowChannelsComplete", ListItems="2")
    assert get(await ami.action("Getvar", Channel=one, Variable="ENG_TAG"), "Value") == "t1"
    await ami.action("Setvar", Channel=one, Variable="TICKET_ID", Value="GD-2024-0001")
    assert get(await ami.action("Getvar", Channel=one, Variable="TICKET_ID"), "Value") == "GD-2024-0001"
    assert get(await ami.action("UserEvent", ActionID="u-1", UserEvent="HlTicket1", TicketID="GD-2024-0001", Note="市民来电"), "Message") == "Event Sent"
    ue = await ami.event("UserEvent")
    assert get(ue, "Note") == "市民来电"
    await ami.action("Hangup", Channel=one, Cause="16")
    await ami.event("Hangup", Channel=two)
    bad = await ami.action("Originate", Channel="Local/nosuchexten@agents", Context="caller", Exten="wait", Priority="1", Timeout="5000")
    assert get(bad, "Message") == "Originate failed"
    await ami.action("Originate", Channel="Local/nosuchexten@agents", Context="caller", Exten="wait", Priority="1",
                     CallerID='"Citizen Zhang" <13800138000>', Timeout="30000", Async="true")
    fail = await ami.event("OriginateResponse", Response="Failure")
    assert (get(fail, "Channel"), get(fail, "Reason"), get(fail, "Uniqueid")) == ("Local/nosuchexten@agents", "0", "<unknown>")
    await ami.action("Originate", Channel="Local/agent1@agents", Application="Playback", Data="beep", Async="true")
    ok = await ami.event("OriginateResponse", Response="Success", Application="Playback")
    await ami.event("Hangup", Channel=get(ok, "Channel").replace(";1", ";2"))
    await ami.event("QueueMemberStatus", Interface="Local/agent1@agents", Status="1")
    ours, theirs = ami.messages, trace_messages("08-ami-originate-status-misc")
    assert per_channel(ours) == per_channel(theirs)
    for name, keys in shapes(ours).items():
        if name in ("Status",):
            continue
        assert keys == shapes(theirs)[name], name
    status_ours = [[k for k, _ in m] for m in ours if m[0] == ("Event", "Status")]
    status_theirs = [[k for k, _ in m] for m in theirs if m[0] == ("Event", "Status")]
    assert status_ours == status_theirs
    assert [m[0][1] for m in _responses(ours)[1:]] == [m[0][1] for m in _responses(theirs)[1:-1]]
