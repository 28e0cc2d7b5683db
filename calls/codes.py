"""Stable codes stored for calls and worklist rows, with the Chinese labels agents see."""
from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return _LABELS[type(self)][self.value]


class Outcome(_Labelled):
    ANSWERED = "answered"        # an agent took the call (AgentConnect, or a Dial answered)
    ABANDONED = "abandoned"      # the caller hung up while waiting in a queue
    TIMEOUT = "timeout"          # Queue() gave up (QUEUESTATUS=TIMEOUT)
    NO_AGENT = "no_agent"        # the queue refused or dropped the caller (JOINEMPTY, FULL, LEAVEEMPTY...)
    IVR_HANGUP = "ivr_hangup"    # hung up before reaching a queue
    EMERGENCY = "emergency"      # routed to 110/119/120/122
    SUBCENTER = "subcenter"      # a sub-center answered
    FAILED = "failed"            # routing failed without the caller ever being offered to anyone
    LOST_TRACK = "lost_track"    # its channels vanished while AMI was down: the end is unknown
    OTHER = "other"              # not a citizen's hotline call (supervisor, internal, outbound)


class MissReason(_Labelled):
    ABANDONED = "abandoned"
    TIMEOUT = "timeout"
    NO_AGENT = "no_agent"
    IVR_HANGUP = "ivr_hangup"    # only after intake: a ticket draft exists
    LOST_TRACK = "lost_track"


class MissedStatus(_Labelled):
    PENDING = "pending"
    CALLED_BACK = "called_back"
    UNREACHABLE = "unreachable"
    CLOSED = "closed"


class CallbackResult(_Labelled):
    REACHED = "reached"
    UNREACHABLE = "unreachable"
    NO_ANSWER = "no_answer"          # 无人接听: counted; after max_attempts the row leaves as 多次未接通
    WRONG_NUMBER = "wrong_number"    # 号码错误: the row leaves the list at once


_LABELS: dict[type, dict[str, str]] = {
    Outcome: {"answered": "已接通", "abandoned": "排队中挂机", "timeout": "排队超时", "no_agent": "无坐席可接",
              "ivr_hangup": "语音导航中挂机", "emergency": "转应急联动", "subcenter": "转分中心",
              "failed": "呼叫失败", "lost_track": "状态丢失（AMI断线）", "other": "非热线呼叫"},
    MissReason: {"abandoned": "排队中挂机", "timeout": "排队超时", "no_agent": "无坐席可接",
                 "ivr_hangup": "已登记未接通", "lost_track": "状态丢失（AMI断线）"},
    MissedStatus: {"pending": "待回拨", "called_back": "已回拨", "unreachable": "无法联系", "closed": "已关闭"},
    CallbackResult: {"reached": "已联系上", "unreachable": "未接通", "no_answer": "无人接听",
                     "wrong_number": "号码错误"},
}

MISSED_OUTCOMES = {Outcome.ABANDONED: MissReason.ABANDONED, Outcome.TIMEOUT: MissReason.TIMEOUT,
                   Outcome.NO_AGENT: MissReason.NO_AGENT, Outcome.LOST_TRACK: MissReason.LOST_TRACK}
"""Outcomes that always put the caller on the worklist (ivr_hangup only with a ticket draft)."""
