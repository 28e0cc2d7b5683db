"""Trace 06: MixMonitor / MixMonitorMute / StopMixMonitor, responses, events and the WAV files written."""
from __future__ import annotations

import wave

from .amiclient import get, trace_messages
from .conformance import assert_same_per_channel, replay, shapes, without_tone_loop


async def test_given_trace_06_requests_then_responses_events_and_real_wav_files(standin, connect):
    ami = await connect()
    await ami.login()
    def our_id(action, headers):
        if "MixMonitorID" in headers:
            headers["MixMonitorID"] = next(get(m, "MixMonitorID") for m in ami.messages if get(m, "MixMonitorID"))
        return headers

    await replay(ami, "06-ami-mixmonitor", rewrite=our_id)
    want = sum(1 for m in trace_messages("06-ami-mixmonitor") if m[0] == ("Event", "Hangup"))
    await ami.wait_for(lambda _m: sum(1 for m in ami.messages if m[0] == ("Event", "Hangup")) >= want, limit=15)
    ours, theirs = ami.messages, trace_messages("06-ami-mixmonitor")

    def responses(msgs):
        return [[(k, "ID" if k == "MixMonitorID" or (k == "Value" and v.startswith("0x")) else v) for k, v in m if k != "ActionID"]
                for m in msgs if m[0][0] == "Response"][1:]

    assert responses(ours) == responses(theirs)
    assert_same_per_channel(without_tone_loop(ours), without_tone_loop(theirs))
    for name in ("MixMonitorStart", "MixMonitorStop", "MixMonitorMute"):
        assert shapes(ours)[name] == shapes(theirs)[name], name
    mutes = [(get(m, "Direction"), get(m, "State")) for m in ours if m[0] == ("Event", "MixMonitorMute")]
    assert mutes == [("both", "1"), ("both", "0")]
    for name in ("mixmon-12345-test.wav", "mixmon-agent.wav"):
        with wave.open(str(standin.pbx.spool_dir / "var/spool/r" / name)) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
    await ami.close()

