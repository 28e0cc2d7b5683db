"""Typed errors of the ticket store, each with a stable `error_id` callers can switch on.

Messages are Chinese first (an agent may see them), English after a slash for logs.
"""
from __future__ import annotations

from tickets.codes import label_of_action, label_of_status


class TicketError(Exception):
    error_id = "ticket.error"


class TicketNotFound(TicketError):
    error_id = "ticket.not_found"

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"工单不存在 / ticket not found: {number}")


class IllegalTransition(TicketError):
    error_id = "ticket.illegal_transition"

    def __init__(self, ticket_number: str, status: str, action: str) -> None:
        self.ticket_number = ticket_number
        self.status = status
        self.action = action
        super().__init__(
            f"工单 {ticket_number} 当前状态为「{label_of_status(status)}」，不能执行「{label_of_action(action)}」"
            f" / ticket {ticket_number} in status '{status}' cannot '{action}'"
        )


class InvalidField(TicketError):
    error_id = "ticket.invalid_field"

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"字段 {field} 无效：{reason} / invalid field '{field}': {reason}")


class FieldTooLong(InvalidField):
    error_id = "ticket.field_too_long"

    def __init__(self, field: str, limit: int, length: int) -> None:
        self.limit = limit
        self.length = length
        super().__init__(field, f"长度 {length} 超过上限 {limit} 字符 (length {length} > limit {limit})")


class UnknownDepartment(TicketError):
    error_id = "ticket.unknown_department"

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"部门不存在 / unknown department: {code}")


class WrongDepartment(TicketError):
    """A department acted on a ticket it does not lead (only the 主办 accepts or returns)."""

    error_id = "ticket.wrong_department"

    def __init__(self, ticket_number: str, department: str, lead: str | None) -> None:
        self.ticket_number = ticket_number
        self.department = department
        self.lead = lead
        super().__init__(
            f"工单 {ticket_number} 的主办部门是 {lead}，{department} 无权操作"
            f" / ticket {ticket_number} is led by {lead}, not {department}"
        )


class NoDeadlineRule(TicketError):
    error_id = "ticket.no_deadline_rule"

    def __init__(self, kind: str, request_type: str, urgency: str) -> None:
        self.kind = kind
        super().__init__(
            f"缺少时限规则 / no {kind} deadline rule for request_type={request_type} urgency={urgency}"
        )


class CalendarFileError(TicketError):
    error_id = "ticket.calendar_file"

    def __init__(self, source: str, line: int, reason: str) -> None:
        self.source = source
        self.line = line
        super().__init__(f"工作日历文件错误 / calendar file {source} line {line}: {reason}")


class NumberSpaceExhausted(TicketError):
    error_id = "ticket.number_exhausted"

    def __init__(self, day: str) -> None:
        super().__init__(f"当日工单号已用尽 / more than 999999 tickets on {day}")


class ConcurrentUpdate(TicketError):
    """Another writer changed the ticket between our read and write, even after retries."""

    error_id = "ticket.concurrent_update"

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"工单 {number} 正被他人同时修改，请重试 / concurrent update of {number}")


class AppendOnlyViolation(TicketError):
    error_id = "ticket.history_append_only"

    def __init__(self) -> None:
        super().__init__("工单历史只能追加 / ticket history is append-only")
