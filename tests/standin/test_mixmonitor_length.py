"""MixMonitor WAV length follows the simulated time recorded (own module: a slower time scale keeps AMI
round trips small against the simulated seconds being measured)."""
from __future__ import annotations

import wave

from .amiclient import get

TIME_SCALE = 0.2


async def test_given_recording_over_four_tone_loop_starts_then_wav_lasts_three_to_four_seconds(standin, ami):
    await ami.action("Originate", Channel="Local/500@xfer", Context="caller", Exten="tone", Priority="1", Async="true")
    enter = await ami.event("BridgeEnter", BridgeNumChannels="2")
    caller = get(enter, "Channel")
    await ami.action("MixMonitor", Channel=caller, File="/rec/three.wav", Options="b")
    start = len(ami.messages)
    await ami.wait_for(lambda _m: sum(1 for m in ami.messages[start:] if m[0] == ("Event", "Newexten")
                                      and get(m, "Application") == "Playback") >= 4)
    await ami.action("StopMixMonitor", Channel=caller)
    await ami.event("MixMonitorStop")
    with wave.open(str(standin.pbx.spool_dir / "rec/three.wav")) as w:
        assert 2.8 * 8000 < w.getnframes() < 5.5 * 8000  # 3..4 one-second tone loops ran while recording
    await ami.action("Hangup", Channel=caller.replace(";2", ";1"))
    await ami.event("Hangup", Channel=caller)
