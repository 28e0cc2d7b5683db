"""RECORD FILE ended by the caller hanging up (res_agi handle_recordfile) and with an unusable path."""
from __future__ import annotations

import asyncio
import wave

from .agi_server import AgiServer, cmd
from .amiclient import get

RECORD = "RECORD FILE /var/spool/r/msg wav \"#\" 20000"


async def test_given_record_file_running_when_caller_hangs_up_then_partial_wav_hangup_reply_then_async_hangup(standin, ami, agi_port):
    pbx = standin.pbx
    lines: list[str] = []

    def hang_up_two_seconds_in(event, msg):
        if event == "AGIExecStart" and get(msg, "Command") == RECORD:
            chan = pbx.find_channel(get(msg, "Channel"))
            pbx.clock.call_later(2.0, lambda: pbx.request_hangup(chan, 16))

    pbx.add_listener(hang_up_two_seconds_in)

    async def script(reader, writer):
        writer.write(RECORD.encode() + b"\n")
        await writer.drain()
        lines.append((await reader.readline()).decode())
        lines.append((await reader.readline()).decode())
        lines.append(await cmd(reader, writer, "RECORD FILE /var/spool/r/again wav \"#\" 1000"))

    async with AgiServer(script, agi_port) as srv:
        await ami.action("Originate", Channel="Local/301@agi-test", Context="caller", Exten="wait", Priority="1", Async="true")
        async with asyncio.timeout(5):
            await srv.done.wait()
    reply, notification, dead = lines
    assert reply.startswith("200 result=-1 (hangup) endpos=") and notification == "HANGUP\n"
    endpos = int(reply.rsplit("=", 1)[1])
    assert 8000 <= endpos <= 40000  # about 2 simulated seconds, far less than the 20 s limit
    with wave.open(str(pbx.spool_dir / "var/spool/r/msg.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (8000, 1, endpos)
    assert dead == "511 Command Not Permitted on a dead channel or intercept routine\n"
    end = await ami.event("AGIExecEnd", Command=RECORD)
    assert (get(end, "ResultCode"), get(end, "Result")) == ("-1", "Failure")


async def test_given_recording_path_under_a_regular_file_when_record_file_then_writefile_error_without_recording(standin, ami, agi_port):
    (standin.pbx.spool_dir / "blocked").write_text("not a directory", "utf-8")
    replies: list[str] = []

    async def script(reader, writer):
        replies.append(await cmd(reader, writer, "RECORD FILE /blocked/msg wav \"#\" -1"))

    async with AgiServer(script, agi_port) as srv:
        await ami.action("Originate", Channel="Local/301@agi-test", Context="caller", Exten="wait", Priority="1", Async="true")
        async with asyncio.timeout(5):  # no time limit on the recording: only an immediate error ends it
            await srv.done.wait()
    assert replies == ["200 result=-1 (writefile)\n"]
