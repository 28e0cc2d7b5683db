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
        member = cls._value2member_map_.get(text)  # the code itself: a dict look-up (every web submission)
        if member is not None:
            return member
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
    REJECT_RETURN = "reject_return"
    CO_REPLY = "co_reply"
    CALLBACK_TRY = "callback_try"
    # issue 12 department handling (tickets/handling.py): steps inside a department, status unchanged
    SUB_DISPATCH = "sub_dispatch"    # 二级派单 to a sub-unit; the department stays responsible
    SUB_ACCEPT = "sub_accept"        # the sub-unit signs for what its parent passed to it
    SUBMIT = "submit_reply"          # a handler's result, waiting for the 单位负责人's review
    REJECT_REPLY = "reject_reply"    # the lead sends the result back to 办理中
    EXT_REQUEST = "ext_request"      # 申请延期
    EXT_APPROVE = "ext_approve"      # the center grants it: a new completion deadline
    EXT_REJECT = "ext_reject"
    DEADLINE_MARK = "deadline_mark"  # 督办 sweep: a deadline turned yellow or red
    REMIND = "remind"  # 督办单 reminder sent to the department
    ESCALATE = "escalate"  # 督办单 escalated to the department's lead
    MERGE = "merge"                # 并单: a duplicate merged into a main ticket (an event on both)
    MERGE_FOLLOW = "merge_follow"  # the duplicate follows its main ticket's outcome
    CALLBACK_ROUTE = "callback_route"  # 回访分派: the automated survey or the agents' 回访 page (callbacks/split.py)


class ReturnReason(_Labelled):
    """Why a department hands a ticket back (退单理由)."""

    NOT_OURS = "not_ours"
    INCOMPLETE = "incomplete"
    OTHER = "other"


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
             Action.LINKAGE: "联动", Action.REJECT_RETURN: "驳回退单",
             Action.CO_REPLY: "协办意见", Action.CALLBACK_TRY: "回访未果",
             Action.SUB_DISPATCH: "二级派单", Action.SUB_ACCEPT: "下级签收", Action.SUBMIT: "提交审核", Action.REJECT_REPLY: "审核退回",
             Action.EXT_REQUEST: "申请延期", Action.EXT_APPROVE: "同意延期", Action.EXT_REJECT: "不同意延期",
             Action.DEADLINE_MARK: "时限预警", Action.REMIND: "督办催办", Action.ESCALATE: "督办升级",
             Action.MERGE: "并单", Action.MERGE_FOLLOW: "随主单办结",
             Action.CALLBACK_ROUTE: "回访分派"},
    ReturnReason: {ReturnReason.NOT_OURS: "非本单位职责", ReturnReason.INCOMPLETE: "诉求信息不全",
                   ReturnReason.OTHER: "其他"},
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
