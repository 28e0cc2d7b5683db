"""02a end to end: Originate → Answer → FastAGI IVR (DTMF via PlayDTMF) → Queue → member answers → hang up."""
from __future__ import annotations

import asyncio

from .amiclient import get, trace_messages
from .conformance import linkedid_ok, per_channel, shapes
from .agi_server import AgiServer, cmd
from .test_queue_flows import ORIG, _run_until_hangup


async def test_given_trace_02a_scenario_then_per_channel_events_and_agi_replies_match(ami, agi_port):
    replies = []

    async def ivr(reader, writer):
        replies.append(await cmd(reader, writer, "GET VARIABLE CALLERID(num)"))
        replies.append(await cmd(reader, writer, 'STREAM FILE ivr-welcome ""'))
        replies.append(await cmd(reader, writer, "GET DATA ivr-menu 3000 1"))
        replies.append(await cmd(reader, writer, "SET VARIABLE IVR_CHOICE 1"))
        replies.append(await cmd(reader, writer, 'VERBOSE "IVR chose 1, sending to queue hotline" 1'))

    async with AgiServer(ivr, agi_port) as srv:
        await ami.action("Originate", Channel="Local/12345@hotline-in", **ORIG)
        start = await ami.event("AGIExecStart", Command="GET DATA ivr-menu 3000 1")
        await ami.action("PlayDTMF", Channel=get(start, "Channel").replace(";2", ";1"), Digit="1", Duration="120")
        async with asyncio.timeout(5):
            await srv.done.wait()
        await _run_until_hangup(ami, "Local/12345@hotline-in", limit=15)
    assert replies == ["200 result=1 (13800138000)\n", "200 result=0 endpos=24000\n", "200 result=1\n", "200 result=1\n", "200 result=1\n"]
    ours, theirs = ami.messages, trace_messages("02a-ami-call-ivr-queue-answered")
    assert per_channel(ours) == per_channel(theirs)
    for name, keys in shapes(ours).items():
        assert keys == shapes(theirs)[name], name
    assert linkedid_ok(ours)
    noop = [m for m in ours if m[0] == ("Event", "Newexten") and get(m, "Application") == "NoOp"]
    assert get(noop[0], "AppData") == 'Hotline call from "Citizen Zhang" <13800138000>'
    assert get(noop[1], "AppData") == "AGI returned AGISTATUS=SUCCESS IVR_CHOICE=1"
