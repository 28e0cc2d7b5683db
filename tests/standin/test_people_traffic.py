"""Citizens and agents through the lab dialplan; time scale; random traffic."""
from __future__ import annotations

import asyncio
import time

from asterisk_standin.people import Agent, Citizen, hangup
from asterisk_standin.traffic import TrafficPlan, make_agents, run_traffic

from .amiclient import get


async def test_given_scale_002_when_queue_timeout_5s_then_takes_about_a_tenth_of_a_second(standin):
    start = time.monotonic()
    out = Citizen("13800138000", "张伟", dialed="12347").place(standin.pbx)
    async with asyncio.timeout(5):
        await out.done.wait()
    elapsed = time.monotonic() - start
    # HoldTime is whole simulated seconds; a scheduling stall of >20 ms on a busy machine shows as 6
    assert out.queuestatus == "TIMEOUT" and out.abandoned and out.waited in (5, 6)
    assert 0.08 < elapsed < 1.0


async def test_given_pjsip_agent_member_when_citizen_calls_then_answered_by_agent(standin, ami):
    agent = Agent("PJSIP/8001", "坐席01", ring_time=1.0, talk_time=3.0)
    agent.register(standin.pbx)
    standin.pbx.queues.add_member("lab-wait", "PJSIP/8001", name="坐席01")
    out = Citizen("13800138000", "张伟", dialed="12345", context="lab-queue-in").place(standin.pbx)
    async with asyncio.timeout(5):
        await out.done.wait()
    assert out.answered_by == "PJSIP/8001"
    connect = await ami.event("AgentConnect")
    assert get(connect, "CallerIDName") == "张伟" and get(connect, "MemberName") == "坐席01"
    assert get(connect, "DestChannel").startswith("PJSIP/8001-")
    comp = await ami.event("AgentComplete")
    assert get(comp, "Reason") == "agent" and get(comp, "TalkTime") in ("3", "4", "5")  # 3 s talk + scheduling slack
    await ami.event("DeviceStateChange", Device="PJSIP/8001", State="NOT_INUSE")
    states = [get(m, "State") for m in ami.messages if m[0] == ("Event", "DeviceStateChange") and get(m, "Device") == "PJSIP/8001"]
    assert states == ["RINGING", "INUSE", "NOT_INUSE"]


async def test_given_prio_caller_then_joins_at_position_1_and_is_served_first(standin, ami):
    c1 = Citizen("13800138000", "张伟", context="lab-queue-in", script=[hangup(at=60)]).place(standin.pbx)
    await ami.event("QueueCallerJoin", Position="1")
    c2 = Citizen("13900139000", "李娜", context="lab-queue-in", script=[hangup(at=60)]).place(standin.pbx)
    await ami.event("QueueCallerJoin", Position="2")
    c3 = Citizen("13700137000", "王芳", dialed="12399", context="lab-queue-in", script=[hangup(at=60)]).place(standin.pbx)
    join = await ami.event("QueueCallerJoin", CallerIDName="王芳")
    assert (get(join, "Position"), get(join, "Count")) == ("1", "3")
    Agent("PJSIP/8011", "坐席11", ring_time=0.5, talk_time=2.0).register(standin.pbx)
    await ami.action("QueueAdd", Queue="lab-wait", Interface="PJSIP/8011", MemberName="坐席11")
    async with asyncio.timeout(8):
        await asyncio.gather(c1.done.wait(), c2.done.wait(), c3.done.wait())
    order = [get(m, "CallerIDName") for m in ami.messages if m[0] == ("Event", "AgentConnect")]
    assert order[:2] == ["王芳", "张伟"]


async def test_given_random_traffic_then_every_call_ends_with_an_outcome(standin):
    plan = TrafficPlan(rate=0.5, duration=40, talk_time_mean=10, patience_mean=30, seed=7)
    make_agents(standin.pbx, 2, "hotline", plan, __import__("random").Random(1))
    async with asyncio.timeout(20):
        report = await run_traffic(standin.pbx, plan)
    assert report.outcomes
    assert all(o.hangup_cause is not None for o in report.outcomes)
    assert report.answered + report.abandoned <= len(report.outcomes)
    assert "呼入" in report.summary_zh()


def test_given_cli_parser_then_documents_options_in_chinese():
    from asterisk_standin.cli import build_parser

    p = build_parser()
    args = p.parse_args(["--config-dir", "x", "--rate", "2", "--time-scale", "0.1"])
    assert args.rate == 2 and args.time_scale == 0.1
    assert "呼入速率" in p.format_help()


async def test_given_cli_args_when_run_then_traffic_summary_is_printed_and_everything_stops(capsys):
    from asterisk_standin.cli import build_parser, run

    from .amiclient import LAB

    args = build_parser().parse_args(["--config-dir", str(LAB), "--ami-port", "0", "--rate", "0.5", "--duration", "20",
                                      "--agents", "2", "--talk-time", "5", "--seed", "3", "--time-scale", "0.01"])
    async with asyncio.timeout(20):
        assert await run(args) == 0
    out = capsys.readouterr().out
    assert "AMI 127.0.0.1:" in out and "呼入" in out


async def test_given_position_argument_then_caller_is_placed_there_but_not_ahead_of_higher_priority(tmp_path):
    from asterisk_standin.standin import Standin

    (tmp_path / "extensions.conf").write_text(
        "[in]\nexten => _X,1,Set(QUEUE_PRIO=${IF($[${EXTEN} = 9]?5:0)})\n"
        " same => n,Queue(q,,,,60,,,,${IF($[${EXTEN} = 2]?1:)})\n", "utf-8")
    (tmp_path / "queues.conf").write_text("[q]\njoinempty = yes\n", "utf-8")
    async with Standin(tmp_path, time_scale=0.02) as s:
        joins = []
        joined = asyncio.Event()

        def on_join(event, msg):
            if event == "QueueCallerJoin":
                joins.append((dict(msg)["CallerIDNum"], dict(msg)["Position"]))
                joined.set()

        s.pbx.add_listener(on_join)
        calls = []
        for dialed, num in (("9", "vip"), ("1", "first"), ("2", "second")):
            joined.clear()
            calls.append(Citizen(num, dialed=dialed, context="in", script=[hangup(at=5)]).place(s.pbx))
            async with asyncio.timeout(2):
                await joined.wait()
        async with asyncio.timeout(5):
            await asyncio.gather(*(c.done.wait() for c in calls))
    assert joins == [("vip", 1), ("first", 2), ("second", 2)]
