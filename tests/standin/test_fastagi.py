"""FastAGI client: environment, STREAM FILE interrupted by DTMF, hangup mid-session (03a/03c), refused (03d)."""
from __future__ import annotations

import asyncio

from .agi_server import AgiServer, cmd
from .amiclient import TRACES, get


async def test_given_agi_script_when_citizen_presses_digit_during_stream_file_then_result_is_ascii_and_events(ami, agi_port):
    replies = []

    async def script(reader, writer):
        replies.append(await cmd(reader, writer, "GET VARIABLE CALLERID(name)"))
        replies.append(await cmd(reader, writer, 'STREAM FILE ivr-welcome "12#"'))
        replies.append(await cmd(reader, writer, "SET VARIABLE IVR_CHOICE 2"))
        replies.append(await cmd(reader, writer, "FOO BAR"))
        replies.append(await cmd(reader, writer, "STREAM FILE beep"))

    async with AgiServer(script, agi_port) as srv:
        await ami.action("Originate", Channel="Local/12345@hotline-in", Context="caller", Exten="wait", Priority="1",
                         CallerID="张伟 <13800138000>", Async="true")
        start = await ami.event("AGIExecStart", Command='STREAM FILE ivr-welcome "12#"')
        await ami.action("PlayDTMF", Channel=get(start, "Channel").replace(";2", ";1"), Digit="2")
        async with asyncio.timeout(5):
            await srv.done.wait()
    assert replies[0] == "200 result=1 (张伟)\n"
    assert replies[1].startswith("200 result=50 endpos=")
    assert 0 < int(replies[1].split("endpos=")[1]) < 24000
    assert replies[2] == "200 result=1\n"
    assert replies[3] == "510 Invalid or unknown command\n"
    assert replies[4] == "520-Invalid command syntax.  Proper usage follows:\n"
    env = srv.envs[0]
    trace_keys = [line.split(":")[0] for line in (TRACES / "raw" / "02a-ami-call-ivr-queue-answered.agi1.from_asterisk.bin").read_text().split("\n\n")[0].split("\n")]
    assert [line.split(":")[0] for line in env] == trace_keys
    assert env[1] == "agi_network_script: ivr\n" and env[-1] == "agi_arg_2: zh_CN\n"
    end = await ami.event("AGIExecEnd", Command="FOO BAR")
    assert (get(end, "ResultCode"), get(end, "Result")) == ("510", "Invalid or unknown command")
    dtmf = await ami.event("DTMFEnd", Digit="2")
    assert get(dtmf, "Direction") == "Received" and get(dtmf, "CallerIDName") == "张伟"
    assert (await ami.event("VarSet", Variable="AGISTATUS")) is not None


async def test_given_wait_for_digit_when_caller_hangs_up_then_minus_one_then_async_hangup_then_511(ami, agi_port):
    lines = []

    async def script(reader, writer):
        writer.write(b"WAIT FOR DIGIT 10000\n")
        await writer.drain()
        lines.append((await reader.readline()).decode())
        lines.append((await reader.readline()).decode())
        lines.append(await cmd(reader, writer, 'STREAM FILE beep ""'))
        lines.append(await cmd(reader, writer, "GET VARIABLE CALLERID(num)"))
        lines.append(await cmd(reader, writer, "VERBOSE x 1"))
        lines.append(await cmd(reader, writer, "EXEC NoOp hi"))

    async with AgiServer(script, agi_port) as srv:
        await ami.action("Originate", Channel="Local/301@agi-test", Context="caller", Exten="wait", Priority="1",
                         CallerID='"Citizen Zhang" <13800138000>', Async="true")
        start = await ami.event("AGIExecStart", Command="WAIT FOR DIGIT 10000")
        await ami.action("Hangup", Channel=get(start, "Channel").replace(";2", ";1"))
        async with asyncio.timeout(5):
            await srv.done.wait()
    assert lines == ["200 result=-1\n", "HANGUP\n", "511 Command Not Permitted on a dead channel or intercept routine\n",
                     "200 result=1 (13800138000)\n", "200 result=1\n", "200 result=0\n"]


async def test_given_no_agi_server_then_agistatus_failure(ami):
    await ami.action("Originate", Channel="Local/302@agi-test", Context="caller", Exten="wait", Priority="1", Async="true")
    ev = await ami.event("VarSet", Variable="AGISTATUS")
    assert get(ev, "Value") == "FAILURE"


async def test_given_idle_agi_session_when_channel_redirected_then_socket_closed_and_dialplan_goes_on(ami, agi_port):
    got = []

    async def script(reader, writer):
        got.append(await cmd(reader, writer, "ANSWER"))
        got.append(await reader.read())  # the stand-in closes the socket when the channel is redirected

    async with AgiServer(script, agi_port) as srv:
        await ami.action("Originate", Channel="Local/301@agi-test", Context="caller", Exten="wait", Priority="1", Async="true")
        end = await ami.event("AGIExecEnd", Command="ANSWER")
        await ami.action("Redirect", Channel=get(end, "Channel"), Context="xfer", Exten="redirected", Priority="1")
        async with asyncio.timeout(5):
            await srv.done.wait()
        wait = await ami.event("Newexten", Application="Wait", Exten="redirected")
    assert got == ["200 result=0\n", b""]
    assert get(wait, "Channel") == get(end, "Channel")
