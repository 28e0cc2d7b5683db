"""Traces 11/11b: ChanSpy sessions, ChanSpyStart/Stop bodies, and when the stop is seen."""
from __future__ import annotations

from .amiclient import get, trace_messages
from .conformance import assert_same_per_channel, replay, shapes, without_tone_loop


async def _run(standin, name: str, connect):
    ami = await connect()
    await ami.action("Login", Username="lab", Secret="test-secret", Events="on")
    await replay(ami, name, limit=30)
    theirs = trace_messages(name)
    want = sum(1 for m in theirs if m[0] == ("Event", "Hangup"))
    await ami.wait_for(lambda _m: sum(1 for m in ami.messages if m[0] == ("Event", "Hangup")) >= want, limit=30)
    return ami, without_tone_loop(ami.messages), without_tone_loop(theirs)


async def test_given_trace_11_spy_sessions_then_start_stop_pairs_and_shapes_match(standin, connect):
    ami, ours, theirs = await _run(standin, "11-ami-chanspy-supervisor", connect)
    assert_same_per_channel(ours, theirs)

    def spy(msgs):
        return [(m[0][1], get(m, "SpyerChannel").rsplit("-", 1)[0], get(m, "SpyeeChannel").rsplit("-", 1)[0],
                 get(m, "SpyerCallerIDName"), get(m, "SpyeeCallerIDName")) for m in msgs if m[0][1] in ("ChanSpyStart", "ChanSpyStop")]

    assert spy(ours) == spy(theirs)
    assert shapes(ours)["ChanSpyStart"] == shapes(theirs)["ChanSpyStart"]
    await ami.close()


async def test_given_trace_11b_without_audio_then_stop_only_when_the_spied_call_ends(standin, connect):
    ami, ours, theirs = await _run(standin, "11b-ami-chanspy-stop-variants", connect)
    assert_same_per_channel(ours, theirs)

    def order(msgs):
        return [m[0][1] if m[0][1].startswith("ChanSpy") else f"Hangup {get(m, 'Channel').rsplit('-', 1)[0]}"
                for m in msgs if m[0][1] in ("ChanSpyStart", "ChanSpyStop") or (m[0] == ("Event", "Hangup") and "lab-linkage" in get(m, "Channel"))]

    assert order(ours) == order(theirs)
    await ami.close()
