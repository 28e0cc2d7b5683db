"""Stable codes of a callback attempt, with the Chinese labels agents see."""
from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return _LABELS[type(self)][self]

    @classmethod
    def parse(cls, value):
        """The code or the Chinese label; ValueError otherwise."""
        text = str(value).strip()
        for member in cls:
            if text in (member.value, member.label):
                return member
        raise ValueError(f"{text!r} is not one of {[m.value for m in cls]}")


class CallbackChannel(_Labelled):
    AGENT = "agent"    # an agent's click-to-call
    SURVEY = "survey"  # the automated outbound survey call (IVR, DTMF)
    SMS = "sms"        # an SMS survey


class AttemptOutcome(_Labelled):
    REACHED = "reached"          # the citizen answered the questions
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    UNREACHABLE = "unreachable"  # 无法联系: wrong number, switched off, refused by the network
    HUNG_UP = "hung_up"          # hung up before every answer was given (a partial answer is kept)
    INVALID = "invalid"          # no valid key within the retries
    REFUSED = "refused"          # the citizen declined to be surveyed


_LABELS = {
    CallbackChannel: {CallbackChannel.AGENT: "坐席回访", CallbackChannel.SURVEY: "语音回访",
                      CallbackChannel.SMS: "短信回访"},
    AttemptOutcome: {AttemptOutcome.REACHED: "已联系", AttemptOutcome.NO_ANSWER: "无人接听",
                     AttemptOutcome.BUSY: "占线", AttemptOutcome.UNREACHABLE: "无法联系",
                     AttemptOutcome.HUNG_UP: "中途挂机", AttemptOutcome.INVALID: "按键无效",
                     AttemptOutcome.REFUSED: "拒绝回访"},
}
