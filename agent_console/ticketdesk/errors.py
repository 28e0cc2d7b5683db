"""Ticket errors as the agent reads them: the Chinese half of TicketService's messages, plus our own."""
from __future__ import annotations

from tickets.errors import (ConcurrentUpdate, IllegalTransition, InvalidField, TicketError, TicketNotFound,
                            UnknownDepartment, WrongDepartment)

FIELD_LABELS = {"request_type": "诉求类型", "content": "诉求内容", "category": "分类", "urgency": "紧急程度",
                "reply": "答复内容", "co_depts": "协办部门", "caller": "来电号码", "note": "备注",
                "district": "事发区县", "street": "事发街道", "address": "详细地址", "contact_number": "联系电话",
                "caller_name": "来电人姓名", "handling_result": "办理结果"}
CHOICES = {"request_type": "咨询、求助、投诉、举报、建议、表扬", "urgency": "一般、水电气暖、危及生命财产",
           "channel": "电话、网站、微信、APP、短信"}
STATUS = {TicketNotFound: 404, IllegalTransition: 409, ConcurrentUpdate: 409, UnknownDepartment: 400,
          WrongDepartment: 409, InvalidField: 400}


class DeskInputError(Exception):
    """A request the console refuses before reaching the ticket store."""

    def __init__(self, error_id: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_id, self.message, self.status = error_id, message, status


def chinese(exc: TicketError) -> tuple[str, str, int]:
    """-> (error id, message, HTTP status). TicketService writes 'Chinese / English'; agents read the first half."""
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    if isinstance(exc, InvalidField):
        label = FIELD_LABELS.get(exc.field, exc.field)
        if exc.field in CHOICES and "is not one of" in exc.reason:
            return exc.error_id, f"{label}：请选择 {CHOICES[exc.field]}", status
        reason = exc.reason.split(" (")[0].split(" / ")[0]
        return exc.error_id, f"{label}：{reason}", status
    if isinstance(exc, UnknownDepartment):
        return exc.error_id, f"部门不存在：{exc.code}", status
    return exc.error_id, str(exc).split(" / ")[0], status
