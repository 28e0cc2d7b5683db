"""P2 transfers against traces 05a (Redirect single/dual) and 05b (BlindTransfer)."""
from __future__ import annotations


from .amiclient import get, trace_messages
from .conformance import assert_same_per_channel, replay, shapes


def _messages(msgs) -> list[str | None]:
    return [get(m, "Message") for m in msgs if m[0][0] == "Response" and get(m, "Response") != "Goodbye"][1:]


async def _events_done(ami, trace_name: str, limit: float = 15.0) -> None:
    """Wait until we have as many Hangup events as the trace."""
    want = sum(1 for m in trace_messages(trace_name) if m[0] == ("Event", "Hangup"))
    await ami.wait_for(lambda _m: sum(1 for m in ami.messages if m[0] == ("Event", "Hangup")) >= want, limit=limit)


async def test_given_trace_05a_redirects_then_per_channel_events_and_responses_match(standin, connect):
    ami = await connect()
    await ami.login()
    await replay(ami, "05a-ami-redirect-bridged")
    await _events_done(ami, "05a-ami-redirect-bridged")
    ours, theirs = ami.messages, trace_messages("05a-ami-redirect-bridged")
    assert _messages(ours) == _messages(theirs)
    assert_same_per_channel(ours, theirs)
    for name, keys in shapes(ours).items():
        assert keys == shapes(theirs)[name], name
    await ami.close()


async def test_given_trace_05b_blind_transfer_then_response_then_event_and_caller_continues_at_target(standin, connect):
    ami = await connect()
    await ami.login()
    await replay(ami, "05b-ami-blindtransfer")
    await _events_done(ami, "05b-ami-blindtransfer")
    ours, theirs = ami.messages, trace_messages("05b-ami-blindtransfer")
    assert _messages(ours) == _messages(theirs)
    assert_same_per_channel(ours, theirs)
    for name, keys in shapes(ours).items():
        assert keys == shapes(theirs)[name], name
    resp = next(i for i, m in enumerate(ours) if get(m, "Message") == "Transfer succeeded")
    event = next(i for i, m in enumerate(ours) if m[0] == ("Event", "BlindTransfer"))
    assert resp < event
    bt = ours[event]
    assert (get(bt, "IsExternal"), get(bt, "Context"), get(bt, "Extension"), get(bt, "BridgeNumChannels")) == ("Yes", "xfer", "target", "2")
    await ami.close()


async def test_given_trace_05c_atxfer_then_abort_on_letters_and_merge_on_transferer_hangup(standin, connect):
    ami = await connect()
    await ami.login()
    await replay(ami, "05c-ami-atxfer", limit=30)
    await _events_done(ami, "05c-ami-atxfer", limit=30)
    ours, theirs = ami.messages, trace_messages("05c-ami-atxfer")
    assert _messages(ours) == _messages(theirs)
    assert_same_per_channel(ours, theirs)
    for name in ("Hold", "Unhold", "BridgeMerge", "AttendedTransfer", "DTMFEnd"):
        assert shapes(ours)[name] == shapes(theirs)[name], name
    digits = [get(m, "Digit") for m in ours if m[0] == ("Event", "DTMFEnd")]
    assert digits == [get(m, "Digit") for m in theirs if m[0] == ("Event", "DTMFEnd")]
    at = next(m for m in ours if m[0] == ("Event", "AttendedTransfer"))
    assert (get(at, "DestType"), get(at, "OrigBridgeNumChannels"), get(at, "SecondBridgeNumChannels")) == ("Bridge", "2", "0")
    await ami.close()


async def test_given_trace_09b_threeway_then_all_three_bridged_and_citizen_stays_with_119(standin, connect):
    ami = await connect()
    await ami.action("Login", Username="lab", Secret="test-secret", Events="on")
    await replay(ami, "09b-ami-linkage-atxfer-threeway", limit=30)
    await _events_done(ami, "09b-ami-linkage-atxfer-threeway", limit=30)
    ours, theirs = ami.messages, trace_messages("09b-ami-linkage-atxfer-threeway")
    assert _messages(ours) == _messages(theirs)
    assert_same_per_channel(ours, theirs)
    for name in ("BridgeMerge", "AttendedTransfer", "BridgeListItem", "BridgeInfoChannel", "BridgeInfoComplete"):
        assert shapes(ours)[name] == shapes(theirs)[name], name
    at = next(m for m in ours if m[0] == ("Event", "AttendedTransfer"))
    assert (get(at, "DestType"), get(at, "OrigBridgeTechnology"), get(at, "OrigBridgeNumChannels")) == ("Threeway", "softmix", "3")

    def infos(msgs):
        return [(get(m, "ActionID"), get(m, "ListItems")) for m in msgs if m[0] == ("Event", "BridgeInfoComplete")]

    assert infos(ours) == infos(theirs)
    await ami.close()
