"""Simulated agents (no answer, rrmemory), Dial DIALSTATUS, IVR menus with Background/WaitExten, citizen speech."""
from __future__ import annotations

import array
import asyncio
import math
import wave

import pytest

from asterisk_standin.people import Agent, Citizen, press, speak
from asterisk_standin.standin import Standin

from .agi_server import AgiServer, cmd
from .amiclient import AmiTestClient, get

EXTENSIONS = r"""
[in]
exten => 100,1,Answer()
 same => n,Queue(rr,,,,20)
 same => n,Hangup()
exten => 200,1,Dial(PJSIP/8009,3)
 same => n,NoOp(DIALSTATUS=${DIALSTATUS})
 same => n,Hangup()
exten => 201,1,Dial(PJSIP/nobody,3)
 same => n,NoOp(DIALSTATUS=${DIALSTATUS})
 same => n,Hangup()
exten => 300,1,Answer()
 same => n,Background(ivr-menu)
 same => n,WaitExten(5)
exten => 1,1,NoOp(chose one)
 same => n,Hangup()
exten => t,1,NoOp(timeout)
 same => n,Hangup()
exten => 400,1,Answer()
 same => n,AGI(agi://127.0.0.1:4573/rec)
 same => n,Hangup()
"""
QUEUES = "[rr]\nstrategy = rrmemory\ntimeout = 2\nretry = 1\njoinempty = yes\nringinuse = no\n"
MANAGER = "[eng]\nsecret = s\nread = all\nwrite = all\n"


@pytest.fixture
async def lab(tmp_path, agi_port):
    (tmp_path / "extensions.conf").write_text(EXTENSIONS, "utf-8")
    (tmp_path / "queues.conf").write_text(QUEUES, "utf-8")
    (tmp_path / "manager.conf").write_text(MANAGER, "utf-8")
    s = Standin(tmp_path, time_scale=0.02, spool_dir=tmp_path / "spool", agi_map={("127.0.0.1", 4573): ("127.0.0.1", agi_port.port)})
    await s.start()
    ami = await AmiTestClient.connect(s.ami.port)
    await ami.action("Login", Username="eng", Secret="s")
    yield s, ami, tmp_path
    await ami.close()
    await s.stop()


async def _done(ami, out, limit: float = 5.0):
    async with asyncio.timeout(limit):
        await out.done.wait()
    await ami.event("Hangup", Channel=out.channel)


async def test_given_first_agent_never_answers_when_rrmemory_then_ringnoanswer_and_next_agent_takes_it(lab):
    s, ami, _ = lab
    for n, answers in (("8001", False), ("8002", True)):
        Agent(f"PJSIP/{n}", f"坐席{n}", ring_time=0.5, talk_time=1.0, answer=answers).register(s.pbx)
        s.pbx.queues.add_member("rr", f"PJSIP/{n}", name=f"坐席{n}")
    out = Citizen("13800138000", "张伟", dialed="100", context="in").place(s.pbx)
    await _done(ami, out)
    assert out.answered_by == "PJSIP/8002"
    rna = await ami.event("AgentRingNoAnswer")
    assert get(rna, "Interface") == "PJSIP/8001" and get(rna, "RingTime") in ("1", "2")


async def test_given_endpoint_not_answering_or_missing_then_dialstatus(lab):
    s, ami, _ = lab
    Agent("PJSIP/8009", ring_time=10, answer=False).register(s.pbx)
    noanswer = Citizen("13800138000", dialed="200", context="in").place(s.pbx)
    missing = Citizen("13800138001", dialed="201", context="in").place(s.pbx)
    await _done(ami, noanswer)
    await _done(ami, missing)
    data = [get(m, "AppData") for m in ami.messages if m[0] == ("Event", "Newexten") and get(m, "Application") == "NoOp"]
    assert sorted(data) == ["DIALSTATUS=CHANUNAVAIL", "DIALSTATUS=NOANSWER"]


@pytest.mark.parametrize(("script", "expected"), [([press("1", at=1.0)], "chose one"), ([], "timeout")])
async def test_given_background_menu_when_citizen_presses_or_not_then_extension_or_t(lab, script, expected):
    s, ami, _ = lab
    out = Citizen("13800138000", dialed="300", context="in", script=script).place(s.pbx)
    await _done(ami, out, limit=8)
    assert ("NoOp", expected) in [(get(m, "Application"), get(m, "AppData")) for m in ami.messages if m[0] == ("Event", "Newexten")]


async def test_given_citizen_speaks_when_record_file_then_wav_holds_the_speech(lab, agi_port):
    s, ami, path = lab
    speech = path / "speech.wav"
    with wave.open(str(speech), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(array.array("h", (int(8000 * math.sin(i / 5)) for i in range(32000))).tobytes())
    replies = []

    async def rec(reader, writer):
        replies.append(await cmd(reader, writer, 'RECORD FILE /r/q wav "#" 5000 0 s=1'))

    async with AgiServer(rec, agi_port) as srv:
        out = Citizen("13800138000", dialed="400", context="in", script=[speak(speech, at=0.0, seconds=2.0)]).place(s.pbx)
        async with asyncio.timeout(5):
            await srv.done.wait()
        await _done(ami, out)
    assert replies[0].startswith("200 result=") and "(timeout)" in replies[0]
    with wave.open(str(path / "spool/r/q.wav")) as w:
        assert w.getframerate() == 8000
        samples = array.array("h", w.readframes(w.getnframes()))
    assert max(abs(x) for x in samples[:8000]) > 4000


async def test_given_inherited_variable_and_r_option_then_agent_leg_has_it_and_no_music_events(tmp_path):
    (tmp_path / "extensions.conf").write_text(
        "[in]\nexten => 1,1,Set(__HOTLINE_LINE=12345)\n same => n,Set(_ONCE=x)\n same => n,Queue(q,r,,,20)\n"
        "[agents]\nexten => a,1,NoOp(line=${HOTLINE_LINE} once=${ONCE})\n same => n,Answer()\n same => n,Wait(1)\n", "utf-8")
    (tmp_path / "queues.conf").write_text("[q]\njoinempty = yes\nmember => Local/a@agents\n", "utf-8")
    async with Standin(tmp_path, time_scale=0.02) as s:
        seen = []
        s.pbx.add_listener(lambda e, m: seen.append((e, dict(m).get("AppData"))))
        out = Citizen("13800138000", dialed="1", context="in").place(s.pbx)
        async with asyncio.timeout(5):
            await out.done.wait()
    assert ("Newexten", "line=12345 once=x") in seen
    assert out.answered_by == "Local/a@agents"
    assert not [e for e, _ in seen if e.startswith("MusicOnHold")]
