"""`PJSIP/119@emergency-trunk`: number 119 on endpoint emergency-trunk, channel named after the endpoint (chan_pjsip)."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from asterisk_standin.devices import DialTarget, parse_dial_target
from asterisk_standin.people import Agent, Citizen
from asterisk_standin.standin import Standin
from hotline.ami.protocol import AmiReader

from .amiclient import AmiTestClient, get

EXTENSIONS = r"""
[from-trunk]
exten => _X.,1,Dial(${DEST},30)
 same => n,NoOp(status ${DIALSTATUS})
 same => n,Hangup()
"""
RAW = Path(__file__).parents[1] / "fixtures" / "traces" / "raw"
MANAGER = "[general]\nenabled = yes\n[eng]\nsecret = s3cret\nread = all\nwrite = all\n"


@pytest.fixture
async def lab(tmp_path):
    (tmp_path / "extensions.conf").write_text(EXTENSIONS, "utf-8")
    (tmp_path / "manager.conf").write_text(MANAGER, "utf-8")
    s = Standin(tmp_path, time_scale=0.02, auth_fail_delay=0.01)
    await s.start()
    client = await AmiTestClient.connect(s.ami.port)
    await client.action("Login", Username="eng", Secret="s3cret")
    yield s, client
    await client.close()
    await s.stop()


def _call(s: Standin, dest: str):
    citizen = Citizen("13800138000", "张伟", dialed="110", context="from-trunk")
    out = citizen.place(s.pbx)
    s.pbx.channels[out.channel].variables["DEST"] = dest
    return out


@pytest.mark.parametrize(("interface", "expected"), [
    ("PJSIP/119@emergency-trunk", DialTarget("PJSIP", "emergency-trunk", "119")),
    ("PJSIP/8001", DialTarget("PJSIP", "8001")),
    ("PJSIP/8001/sip:8001@127.0.0.1:5062", DialTarget("PJSIP", "8001")),
    ("Local/agent10@lab-agents", DialTarget("Local", "lab-agents", "agent10")),
    ("PJSIP/", None), ("PJSIP/@trunk", None), ("PJSIP/119@", None), ("nodevice", None), ("/8001", None),
])
def test_given_dial_string_when_parsed_then_endpoint_and_number_as_chan_pjsip_reads_them(interface, expected):
    assert parse_dial_target(interface) == expected


async def test_given_phone_registered_by_trunk_number_when_dialed_then_channel_is_named_after_the_endpoint(lab):
    s, ami = lab
    fire = Agent("PJSIP/119@emergency-trunk", "119指挥中心", ring_time=0.5, talk_time=1.0)
    fire.register(s.pbx)
    out = _call(s, "PJSIP/119@emergency-trunk")
    begin = await ami.event("DialBegin")
    assert re.fullmatch(r"PJSIP/emergency-trunk-[0-9a-f]{8}", get(begin, "DestChannel"))
    assert (get(begin, "DialString"), get(begin, "DestCallerIDNum")) == ("119@emergency-trunk", "119")
    assert get(await ami.event("DialEnd"), "DialStatus") == "ANSWER"
    async with asyncio.timeout(5):
        await out.done.wait()
    assert fire.calls == 1
    await ami.event("DeviceStateChange", Device="PJSIP/emergency-trunk", State="NOT_INUSE")
    states = [get(m, "State") for m in ami.messages if get(m, "Event") == "DeviceStateChange"
              and get(m, "Device") == "PJSIP/emergency-trunk"]
    assert states[:3] == ["RINGING", "INUSE", "NOT_INUSE"]


async def test_given_phone_registered_by_endpoint_when_any_number_on_it_is_dialed_then_it_answers(lab):
    s, ami = lab
    trunk = Agent("PJSIP/emergency-trunk", "应急中心", ring_time=0.5, talk_time=1.0)
    trunk.register(s.pbx)
    out = _call(s, "PJSIP/122@emergency-trunk")
    begin = await ami.event("DialBegin")
    assert get(begin, "DestChannel").startswith("PJSIP/emergency-trunk-")
    assert get(await ami.event("DialEnd"), "DialStatus") == "ANSWER"
    async with asyncio.timeout(5):
        await out.done.wait()
    assert trunk.calls == 1


async def test_given_plain_endpoint_when_dialed_then_channel_keeps_its_name(lab):
    s, ami = lab
    Agent("PJSIP/8001", "坐席01", ring_time=0.5, talk_time=1.0).register(s.pbx)
    _call(s, "PJSIP/8001")
    begin = await ami.event("DialBegin")
    assert re.fullmatch(r"PJSIP/8001-[0-9a-f]{8}", get(begin, "DestChannel"))
    assert get(begin, "DestCallerIDNum") == "8001"


@pytest.mark.parametrize("dest", ["PJSIP/119@other-trunk", "PJSIP/@emergency-trunk", "PJSIP/"])
async def test_given_unknown_or_malformed_dial_string_when_dialed_then_chanunavail(lab, dest):
    s, ami = lab
    Agent("PJSIP/119@emergency-trunk", "119指挥中心").register(s.pbx)
    out = _call(s, dest)
    await ami.event("VarSet", Variable="DIALSTATUS", Value="CHANUNAVAIL")
    async with asyncio.timeout(5):
        await out.done.wait()
    assert not [m for m in ami.messages if get(m, "Event") == "DialBegin"]


def _dial_sequence(messages, channel: str) -> list[str]:
    """What a caller's Dial() publishes, in order: DIALSTATUS VarSets, DialBegin, DialEnd with its status."""
    out = []
    for m in messages:
        event, chan = get(m, "Event"), get(m, "Channel")
        if chan != channel:
            continue
        if event == "VarSet" and get(m, "Variable") == "DIALSTATUS":
            out.append(f"DIALSTATUS={get(m, 'Value')}")
        elif event == "DialBegin":
            out.append("DialBegin")
        elif event == "DialEnd":
            out.append(f"DialEnd {get(m, 'DialStatus')}")
    return out


def _real_answered_dial() -> list[str]:
    """Trace 05b: the caller channel Local/500@xfer-00000020;2 dials agent3, who answers."""
    messages = [list(m.items()) for m in AmiReader().feed((RAW / "05b-ami-blindtransfer.ami1.from_asterisk.bin").read_bytes())]
    sequence = _dial_sequence(messages, "Local/500@xfer-00000020;2")
    assert sequence[0] == "DIALSTATUS="
    return sequence


@pytest.mark.parametrize(("behaviour", "expected"), [
    ({}, _real_answered_dial()),
    ({"reject": True}, ["DIALSTATUS=", "DialBegin", "DialEnd BUSY", "DIALSTATUS=BUSY"]),
    ({"answer": False}, ["DIALSTATUS=", "DialBegin", "DialEnd NOANSWER", "DIALSTATUS=NOANSWER"]),
    ({"taken": True}, ["DIALSTATUS=", "DIALSTATUS=CHANUNAVAIL"]),
], ids=["answer", "busy", "noanswer", "chanunavail"])
async def test_given_a_dial_when_it_ends_then_the_standin_publishes_asterisks_sequence(lab, behaviour, expected):
    """Asterisk 22 app_dial: DIALSTATUS cleared at start, DialBegin, DialEnd, the outcome in DIALSTATUS."""
    s, ami = lab
    taken = behaviour.pop("taken", False)
    fire = Agent("PJSIP/119@emergency-trunk", "119指挥中心", ring_time=0.2, talk_time=0.5, **behaviour)
    fire.register(s.pbx)
    fire.busy = taken
    out = _call(s, "PJSIP/119@emergency-trunk")
    async with asyncio.timeout(5):
        await out.done.wait()
        await ami.event("Hangup", Channel=out.channel)
    assert _dial_sequence(ami.messages, out.channel) == expected
