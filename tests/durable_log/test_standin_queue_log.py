"""The stand-in writes queue_log as Asterisk 22 does: the calls of the real trace 13 (answered and
the caller hangs up, blind transfer to an unreachable 120 and back to the pool, abandon while the
agent's phone rings, a dedicated-queue timeout overflowing to the pool, console sign-in and
sign-out, restart) give the same event sequences and field shapes in its queue_log file."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

from asterisk_standin.people import Citizen
from hotline.testing import running_hotline
from queues.models import MergeMode
from queues.routing import LineInfo

TRACE = Path(__file__).parents[1] / "fixtures" / "traces" / "queue_log" / "13-hotline-dialplan.queue_log"
_UNIQUEID = re.compile(r"^\d+\.\d+$")


def _shape(value: str) -> str:
    if value == "":
        return ""
    if _UNIQUEID.match(value):
        return "ID"
    return "N" if value.lstrip("-").isdigit() else "S"


def _line_shape(line: str) -> tuple:
    _time, callid, queue, agent, event, *data = line.rstrip("\n").split("|")
    return (_shape(callid) if _UNIQUEID.match(callid) else callid, queue, "NONE" if agent == "NONE" else "AGENT",
            event, tuple(_shape(d) for d in data))


def _by_call(lines: list[str]) -> dict[str, list[tuple]]:
    calls: dict[str, list[tuple]] = {}
    for line in lines:
        callid = line.split("|")[1]
        if _UNIQUEID.match(callid):
            shapes = calls.setdefault(callid, [])
            shape = _line_shape(line)
            if not shapes or shapes[-1] != shape or shape[3] != "RINGNOANSWER":  # rings repeat per retry
                shapes.append(shape)
    return calls


def _members(lines: list[str]) -> list[tuple]:
    return [_line_shape(line) for line in lines if not _UNIQUEID.match(line.split("|")[1])]


async def _until(predicate, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


def _citizen(number: str, dialed: str = "12345") -> Citizen:
    return Citizen(number, "市民", dialed=dialed, context="from-trunk")


class Connects:
    """AgentConnect of each caller channel: (caller channel, agent channel)."""

    def __init__(self, pbx) -> None:
        self.seen: dict[str, str] = {}
        self.called: set[str] = set()
        pbx.add_listener(self._on)

    def _on(self, event: str, msg) -> None:
        fields = dict(msg)
        if event == "AgentConnect":
            self.seen[fields["Channel"]] = fields["DestChannel"]
        elif event == "AgentCalled":
            self.called.add(fields["Channel"])


async def test_given_the_calls_of_the_real_trace_then_the_standins_queue_log_has_the_same_shapes(tmp_path):
    async with running_hotline(tmp_path, queue_log=True) as hotline:
        pbx, ami = hotline.pbx, hotline.ami
        connects = Connects(pbx)
        from asterisk_standin.people import Agent

        Agent("PJSIP/8001", "张敏", talk_time=600.0).register(pbx)
        await ami.send("QueueAdd", Queue="hotline-general", Interface="PJSIP/8001", MemberName="张敏")
        await ami.send("QueuePause", Interface="PJSIP/8001", Paused="false")
        await _until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)

        # answered, the citizen hangs up
        out = hotline.call(_citizen("13800138000"))
        await _until(lambda: out.channel in connects.seen)
        await asyncio.sleep(0.2)
        pbx.request_hangup(pbx.find_channel(out.channel))
        await hotline.finished(out)
        await _until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)

        # answered, blind transfer to 120 that cannot be reached: back to the pool, answered, hangs up
        out = hotline.call(_citizen("13300133007"))
        await _until(lambda: out.channel in connects.seen)
        await ami.send("BlindTransfer", Channel=connects.seen.pop(out.channel), Exten="120",
                       Context="emergency-linkage")
        await _until(lambda: out.channel in connects.seen, timeout=30)
        await asyncio.sleep(0.2)
        pbx.request_hangup(pbx.find_channel(out.channel))
        await hotline.finished(out)
        await ami.send("QueueRemove", Queue="hotline-general", Interface="PJSIP/8001")

        # the citizen hangs up while the agent's phone rings
        Agent("PJSIP/8002", "李强", ring_time=600.0).register(pbx)
        await ami.send("QueueAdd", Queue="hotline-general", Interface="PJSIP/8002", MemberName="李强")
        out = hotline.call(_citizen("13500135004"))
        await _until(lambda: out.channel in connects.called)
        await asyncio.sleep(0.2)
        pbx.request_hangup(pbx.find_channel(out.channel))
        await hotline.finished(out)
        await ami.send("QueueRemove", Queue="hotline-general", Interface="PJSIP/8002")

        # 12315: the dedicated agent never answers; after the wait the call overflows to the pool
        await hotline.engine.services["lines"].save(LineInfo("12315", "市场监管投诉举报热线", MergeMode.PARALLEL,
                                                             queue="line-12315", overflow_after=20))
        Agent("PJSIP/8101", "王芳", answer=False).register(pbx)
        await ami.send("QueueAdd", Queue="line-12315", Interface="PJSIP/8101", MemberName="王芳")
        Agent("PJSIP/8003", "赵强", talk_time=600.0).register(pbx)
        await ami.send("QueueAdd", Queue="hotline-general", Interface="PJSIP/8003", MemberName="赵强")
        out = hotline.call(_citizen("13700137002", "12315"))
        await _until(lambda: out.channel in connects.seen, timeout=30)
        await asyncio.sleep(0.2)
        pbx.request_hangup(pbx.find_channel(out.channel))
        await hotline.finished(out)
        await ami.send("QueueRemove", Queue="line-12315", Interface="PJSIP/8101")
        await hotline.standin.restart()
        await asyncio.sleep(0.1)

        ours = (tmp_path / "log" / "queue_log").read_text(encoding="utf-8").splitlines()

    theirs = TRACE.read_text(encoding="utf-8").splitlines()
    real, sim = _by_call(theirs), _by_call(ours)
    assert list(sim.values()) == [real["1796193929.1"], real["1796194020.15"], real["1796194060.23"],
                                  real["1796194080.27"]]
    assert _members(ours)[:4] == _members(theirs)[:4]   # QUEUESTART, ADDMEMBER, UNPAUSEALL, UNPAUSE
    assert _members(ours)[-1] == _members(theirs)[-1] == ("NONE", "NONE", "NONE", "QUEUESTART", ("",))
    assert ("MANAGER", "line-12315", "AGENT", "REMOVEMEMBER", ("",)) in _members(ours)
