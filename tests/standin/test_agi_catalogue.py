"""Trace 03a replayed: every AGI command of the catalogue gets the reply Asterisk gave (timing numbers masked)."""
from __future__ import annotations

import asyncio
import re

from .agi_server import AgiServer
from .amiclient import TRACES, get, trace_messages

DIGITS = {  # command → digits the capture tool injected with PlayDTMF while it ran (03b), per occurrence
    'STREAM FILE ivr-menu "12#"': ["2"], 'STREAM FILE beep "12#"': ["9"], "GET DATA ivr-menu 3000 4": ["123#"],
    "GET DATA beep 2000 4": ["45"], "GET DATA beep 3000 2": ["678"], "GET DATA beep 3000": ["*#"],
    "WAIT FOR DIGIT 5000": ["5", "*", "#", "A"], "WAIT FOR DIGIT -1": ["0"], 'SAY DIGITS 9876543210 "#"': ["#"],
    'RECORD FILE /var/spool/r/agi-rec-dtmf wav "#" 10000 0 BEEP': ["#"],
}
MASK_ENDPOS = {'STREAM FILE ivr-menu "12#"'}


def _trace_dialogue() -> tuple[list[str], list[str], list[str]]:
    sent = (TRACES / "raw" / "03a-fastagi-command-catalogue.agi1.to_asterisk.bin").read_text("utf-8").split("\n")[:-1]
    received = (TRACES / "raw" / "03a-fastagi-command-catalogue.agi1.from_asterisk.bin").read_text("utf-8")
    env, _, rest = received.partition("\n\n")
    replies, lines = [], rest.split("\n")[:-1]
    i = 0
    while i < len(lines):
        if lines[i].startswith("520-"):
            j = lines.index("520 End of proper usage.", i)
            replies.append("\n".join(lines[i : j + 1]) + "\n")
            i = j + 1
        elif lines[i] == "HANGUP":
            i += 1
        else:
            replies.append(lines[i] + "\n")
            i += 1
    return env.split("\n"), sent, replies


def _mask(command: str, reply: str) -> str:
    reply = re.sub(r"-0000000[0-9a-f];", "-N;", reply)
    if command in MASK_ENDPOS:
        reply = re.sub(r"endpos=\d+", "endpos=E", reply)
    if command.startswith("RECORD FILE"):
        reply = re.sub(r"\d+", "D", reply)
    return reply


async def test_given_catalogue_commands_then_replies_equal_trace_03a(standin, ami, agi_port):
    env, commands, expected = _trace_dialogue()
    pbx = standin.pbx
    seen: dict[str, int] = {}

    def inject(event, msg):
        if event != "AGIExecStart":
            return
        command = get(msg, "Command")
        plan = DIGITS.get(command)
        if plan:
            k = seen.get(command, 0)
            seen[command] = k + 1
            chan = pbx.find_channel(get(msg, "Channel"))
            digits = plan[min(k, len(plan) - 1)]
            pbx.clock.call_later(0.5, lambda: [pbx.dtmf_received(chan, d) for d in digits if chan.alive])

    pbx.add_listener(inject)
    replies: list[str] = []
    got_env: list[str] = []

    async def script(reader, writer):
        for command in commands:
            writer.write(command.encode() + b"\n")
            await writer.drain()
            line = (await reader.readline()).decode()
            if line == "HANGUP\n":
                line = (await reader.readline()).decode()
            if line.startswith("520-"):
                while not line.endswith("520 End of proper usage.\n"):
                    line += (await reader.readline()).decode()
            replies.append(line)
            if command == "HANGUP":
                assert (await reader.readline()) == b"HANGUP\n"

    srv = AgiServer(script, agi_port)
    async with srv:
        await ami.action("Originate", Channel="Local/300@agi-test", Context="caller", Exten="silence", Priority="1",
                         CallerID='"Citizen Zhang" <13800138000>', Timeout="30000", Async="true")
        async with asyncio.timeout(10):
            await srv.done.wait()
        got_env = [line.rstrip("\n") for line in srv.envs[0]]
    assert len(replies) == len(expected) == len(commands)
    for command, ours, theirs in zip(commands, replies, expected, strict=True):
        assert _mask(command, ours) == _mask(command, theirs), command

    def env_norm(lines):
        return [re.sub(r"^(agi_uniqueid|agi_threadid): .*", r"\1: X", re.sub(r"-0000000[0-9a-f];", "-N;", line)) for line in lines if line]

    assert env_norm(got_env) == env_norm(env)
    await ami.event("Hangup", Channel=got_env[3].split(": ", 1)[1])
    def agi_events(msgs):
        return [(m[0][1], get(m, "Command"), get(m, "ResultCode"), get(m, "Result")) for m in msgs
                if m[0][1] in ("AGIExecStart", "AGIExecEnd") and "Local/300@" in get(m, "Channel")]

    # trace 03b is the AMI side of this session: one AGIExecStart/End pair per command, same ResultCode/Result
    assert agi_events(ami.messages) == agi_events(trace_messages("03b-ami-events-during-fastagi"))
    recording = standin.pbx.spool_dir / "var/spool/r/agi-rec-timeout.wav"
    import wave

    with wave.open(str(recording)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        assert abs(w.getnframes() - 16000) < 400
