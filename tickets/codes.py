"""Stable English codes stored in the database, with the Chinese labels people see.

Codes never change once stored; labels may be reworded freely.
"""
from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return _LABELS[type(self)][self]

    @classmethod
    def parse(cls, value: str):
        """Accept the code or the Chinese label ('complaint' or '投诉'); ValueError otherwise."""
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        for member in cls:
            if text == member.value or text == member.label:
                return member
        raise ValueError(f"{text!r} is not one of {[m.value for m in cls]}")


class Channel(_Labelled):
    PHONE = "phone"
    WEB = "web"
    WECHAT = "wechat"
    APP = "app"
    SMS = "sms"


class RequestType(_Labelled):
    CONSULT = "consult"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"


class Urgency(_Labelled):
    LIFE_PROPERTY = "life_property"
    UTILITIES = "utilities"
    NORMAL = "normal"


class TranscriptStatus(_Labelled):
    NONE = "none"
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Status(_Labelled):
    DRAFT = "draft"
    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REPLIED = "replied"
    CALLBACK = "callback"
    CLOSED = "closed"
    REOPENED = "reopened"


class Action(_Labelled):
    CREATE = "create"
    REGISTER = "register"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    REPLY = "reply"
    CALLBACK = "callback"
    CLOSE = "close"
    REOPEN = "reopen"
    SUPERVISE = "supervise"
    TRANSCRIPT = "transcript"
    LINKAGE = "linkage"


class Evaluation(_Labelled):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


_LABELS: dict[type, dict] = {
    Channel: {Channel.PHONE: "电话", Channel.WEB: "网站", Channel.WECHAT: "微信",
              Channel.APP: "APP", Channel.SMS: "短信"},
    RequestType: {RequestType.CONSULT: "咨询", RequestType.HELP: "求助", RequestType.COMPLAINT: "投诉",
                  RequestType.REPORT: "举报", RequestType.SUGGESTION: "建议", RequestType.PRAISE: "表扬"},
    Urgency: {Urgency.LIFE_PROPERTY: "危及生命财产", Urgency.UTILITIES: "水电气暖", Urgency.NORMAL: "一般"},
    TranscriptStatus: {TranscriptStatus.NONE: "无", TranscriptStatus.PENDING: "转写中",
                       TranscriptStatus.DONE: "已转写", TranscriptStatus.FAILED: "转写失败"},
    Status: {Status.DRAFT: "草稿", Status.REGISTERED: "已登记", Status.DISPATCHED: "已派单",
             Status.ACCEPTED: "已签收", Status.RETURNED: "已退回", Status.REPLIED: "已答复",
             Status.CALLBACK: "已回访", Status.CLOSED: "已办结", Status.REOPENED: "已重启"},
    Action: {Action.CREATE: "创建", Action.REGISTER: "登记", Action.DISPATCH: "派单", Action.ACCEPT: "签收",
             Action.RETURN: "退回", Action.REPLY: "答复", Action.CALLBACK: "回访", Action.CLOSE: "办结",
             Action.REOPEN: "重启", Action.SUPERVISE: "督办", Action.TRANSCRIPT: "转写",
             Action.LINKAGE: "联动"},
    Evaluation: {Evaluation.SATISFIED: "满意", Evaluation.BASICALLY_SATISFIED: "基本满意",
                 Evaluation.DISSATISFIED: "不满意"},
}


def label_of_status(code: str) -> str:
    try:
        return Status(code).label
    except ValueError:
        return code


def label_of_action(code: str) -> str:
    try:
        return Action(code).label
    except ValueError:
        return code
