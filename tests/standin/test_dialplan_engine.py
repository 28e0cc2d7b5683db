"""The dialplan interpreter on a project-style config: includes, patterns, Goto/GotoIf/Gosub, functions, reload."""
from __future__ import annotations

import asyncio

import pytest

from asterisk_standin.people import Citizen
from asterisk_standin.standin import Standin

from .amiclient import AmiTestClient, get

EXTENSIONS = r"""
[globals]
HOTLINE=12345

[from-trunk]
include => ivr-common
exten => _1234[5-9],1,NoOp(in ${EXTEN} last=${EXTEN:-1} len=${LEN(${CALLERID(num)})})
 same => n,Set(CHANNEL(language)=zh_CN)
 same => n,Set(IS_VIP=${IF($["${CALLERID(num)}" = "13900000000"]?1:0)})
 same => n,GotoIf($[${IS_VIP} = 1]?vip)
 same => n,Gosub(sub-greet,s,1(${CALLERID(name)}))
 same => n,Goto(ivr-common,menu,1)
 same => n(vip),Set(QUEUE_PRIO=10)
 same => n,Queue(vipq,,,,2)
 same => n,Hangup()

[sub-greet]
exten => s,1,NoOp(hello ${ARG1} lang=${CHANNEL(language)} g=${HOTLINE})
 same => n,Return()

#include "extensions-extra.conf"
"""
EXTRA = r"""
[ivr-common]
exten => menu,1,NoOp(menu $[1 + 2])
 same => n,NoSuchApplication(x)
 same => n,NoOp(never reached)
"""
QUEUES = "[general]\n[vipq]\nstrategy = ringall\njoinempty = yes\n"
MANAGER = "[general]\nenabled = yes\n[eng]\nsecret = s3cret\nread = all\nwrite = all\n"


@pytest.fixture
async def project(tmp_path):
    (tmp_path / "extensions.conf").write_text(EXTENSIONS, "utf-8")
    (tmp_path / "extensions-extra.conf").write_text(EXTRA, "utf-8")
    (tmp_path / "queues.conf").write_text(QUEUES, "utf-8")
    (tmp_path / "manager.conf").write_text(MANAGER, "utf-8")
    s = Standin(tmp_path, time_scale=0.02, auth_fail_delay=0.01)
    await s.start()
    client = await AmiTestClient.connect(s.ami.port)
    await client.action("Login", Username="eng", Secret="s3cret")
    yield s, client, tmp_path
    await client.close()
    await s.stop()


async def test_given_project_dialplan_when_normal_caller_then_gosub_goto_include_and_unknown_app_hangs_up(project):
    s, ami, _ = project
    out = Citizen("13800138000", "张伟", dialed="12345", context="from-trunk").place(s.pbx)
    async with asyncio.timeout(5):
        await out.done.wait()
    await ami.event("Hangup", Channel=out.channel)
    data = [(get(m, "Application"), get(m, "AppData")) for m in ami.messages if m[0] == ("Event", "Newexten")]
    assert data[0] == ("NoOp", "in 12345 last=5 len=11")
    assert ("NoOp", "hello 张伟 lang=zh_CN g=12345") in data
    assert ("NoOp", "menu 3") in data
    assert ("NoSuchApplication", "x") not in data and ("NoOp", "never reached") not in data
    assert [get(m, "Event") for m in ami.messages if get(m, "Channel") == out.channel][-1] == "Hangup"


async def test_given_vip_caller_then_gotoif_label_and_queue_prio(project):
    s, ami, _ = project
    out = Citizen("13900000000", "VIP", dialed="12346", context="from-trunk").place(s.pbx)
    async with asyncio.timeout(5):
        await out.done.wait()
    await ami.event("Hangup", Channel=out.channel)
    assert out.queue == "vipq" and out.queuestatus == "TIMEOUT"
    assert any(m[0] == ("Event", "VarSet") and get(m, "Variable") == "QUEUE_PRIO" and get(m, "Value") == "10" for m in ami.messages)


async def test_given_new_queue_file_when_ami_reload_then_queue_exists(project):
    s, ami, path = project
    assert get(await ami.action("QueueAdd", Queue="newq", Interface="PJSIP/8001"), "Response") == "Error"
    (path / "queues.conf").write_text(QUEUES + "[newq]\nstrategy = rrmemory\n", "utf-8")
    assert get(await ami.action("Reload", Module="app_queue.so"), "Response") == "Success"
    assert get(await ami.action("QueueAdd", Queue="newq", Interface="PJSIP/8001"), "Message") == "Added interface to queue"


async def test_given_two_ami_clients_when_one_turns_events_off_then_only_other_gets_events(project):
    s, ami, _ = project
    quiet = await AmiTestClient.connect(s.ami.port)
    try:
        await quiet.action("Login", Username="eng", Secret="s3cret", Events="off")
        await ami.action("UserEvent", UserEvent="Ping1")
        await ami.event("UserEvent")
        await quiet.action("Ping")
    finally:
        await quiet.close()
    assert not [m for m in quiet.messages if m[0][0] == "Event"]


async def test_given_read_gotoiftime_and_functions_then_variables_and_branches(tmp_path):
    (tmp_path / "extensions.conf").write_text(r"""
[in]
exten => 1,1,Read(CHOICE,ivr-menu,2,,2,3)
 same => n,NoOp(choice=${CHOICE} status=${READSTATUS} cut=${CUT(CALLERID(num),8,2)} up=${TOUPPER(abc)})
 same => n,GotoIfTime(00:00-23:59,*,*,*?open:closed)
 same => n(open),NoOp(open)
 same => n,Hangup()
 same => n(closed),NoOp(closed)
""", "utf-8")
    async with Standin(tmp_path, time_scale=0.02) as s:
        events = []
        s.pbx.add_listener(lambda e, m: events.append((get(m, "Application"), get(m, "AppData"))) if e == "Newexten" else None)
        from asterisk_standin.people import press

        out = Citizen("1380013800800", dialed="1", context="in", script=[press("42", at=1.0)]).place(s.pbx)
        async with asyncio.timeout(5):
            await out.done.wait()
    assert ("NoOp", "choice=42 status=OK cut=0013 up=ABC") in events
    assert ("NoOp", "open") in events and ("NoOp", "closed") not in events
