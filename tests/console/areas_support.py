"""Shared set-up of the screen pop, ticket, wallboard and admin tests: the console with a live floor fed by
typed AMI events the test builds (no switch), a stand-in call tracker, and users of every role."""
from __future__ import annotations

from types import SimpleNamespace

from hotline.ami.call_events import Hangup
from hotline.ami.event_base import ChannelInfo
from hotline.ami.queue_events import (AgentCalled, AgentComplete, AgentConnect, AgentRingNoAnswer, QueueCallerAbandon,
                                      QueueCallerJoin, QueueMemberAdded, QueueMemberPause)
from console_support import USERS

SERVER = "standin"
AREA_USERS = USERS + (
    ("lead01", "班长01", ("supervisor",), None),
    ("admin01", "管理员01", ("admin",), None),
)


def channel(linkedid: str, number: str = "13800138000", name: str = "张伟", suffix: str = "") -> ChannelInfo:
    return ChannelInfo(f"PJSIP/trunk-{linkedid}{suffix}", caller_id_num=number, caller_id_name=name,
                       uniqueid=linkedid + suffix, linkedid=linkedid)


def agent_called(linkedid: str, interface: str = "PJSIP/8101", queue: str = "hotline-general", **kw):
    return AgentCalled("AgentCalled", SERVER, None, channel=channel(linkedid, **kw), queue=queue,
                       interface=interface, member_name="坐席01")


def agent_connect(linkedid: str, interface: str = "PJSIP/8101", queue: str = "hotline-general", **kw):
    return AgentConnect("AgentConnect", SERVER, None, channel=channel(linkedid, **kw), queue=queue,
                        interface=interface, member_name="坐席01", hold_time=3)


def agent_no_answer(linkedid: str, interface: str = "PJSIP/8101"):
    return AgentRingNoAnswer("AgentRingNoAnswer", SERVER, None, channel=channel(linkedid), queue="hotline-general",
                             interface=interface, member_name="坐席01")


def agent_complete(linkedid: str, interface: str = "PJSIP/8101"):
    return AgentComplete("AgentComplete", SERVER, None, channel=channel(linkedid), queue="hotline-general",
                         interface=interface, member_name="坐席01", talk_time=30)


def caller_join(linkedid: str, queue: str = "hotline-general", number: str = "13900000001"):
    return QueueCallerJoin("QueueCallerJoin", SERVER, None, channel=channel(linkedid, number), queue=queue,
                           position=1)


def caller_abandon(linkedid: str, queue: str = "hotline-general"):
    return QueueCallerAbandon("QueueCallerAbandon", SERVER, None, channel=channel(linkedid), queue=queue,
                              hold_time=40)


def caller_hangup(linkedid: str):
    """The caller's channel gone after QueueCallerAbandon: an abandon, not a queue timeout."""
    return Hangup("Hangup", SERVER, None, channel=channel(linkedid), cause=16)


def member(interface: str, name: str, queue: str = "hotline-general", *, paused: bool = False, reason: str = ""):
    kind = QueueMemberPause if paused else QueueMemberAdded
    return kind(kind.__name__, SERVER, None, queue=queue, member_name=name, interface=interface, paused=paused,
                paused_reason=reason, status=1, in_call=False, calls_taken=0)


class FakeTracker:
    """The call tracker's one query the pop uses: calls[(server, linkedid)].variables / .visits."""

    def __init__(self) -> None:
        self.calls: dict = {}

    def ivr(self, linkedid: str, visits=("hotline-general",), **variables) -> None:
        self.calls[(SERVER, linkedid)] = SimpleNamespace(
            variables=variables, visits=[SimpleNamespace(queue=q) for q in visits])


class AuditMark:
    """Audit rows written since the mark: tests sharing one app see only their own."""

    def __init__(self, audit) -> None:
        self.audit = audit
        self.last_id = 0

    async def set(self) -> None:
        rows = await self.audit.recent(1)
        self.last_id = rows[0].id if rows else 0

    async def rows(self, limit: int = 50, **filters) -> list:
        return [r for r in await self.audit.recent(limit, **filters) if r.id > self.last_id]


def reset_floor(services: dict, clock, board=None) -> None:
    """Each test starts with an empty floor, on the module's one app."""
    from queues.service_level import ServiceLevel

    floor = services["floor"]
    floor.callers.clear()
    floor.agents.clear()
    floor.service_level = ServiceLevel(clock)
    if board is not None:
        board.floor_changed()
