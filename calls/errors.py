"""Typed errors of the call log, each with a stable `error_id`; messages Chinese first."""
from __future__ import annotations


class CallLogError(Exception):
    error_id = "calls.error"


class MissedCallNotFound(CallLogError):
    error_id = "calls.missed_not_found"

    def __init__(self, missed_id: int) -> None:
        self.missed_id = missed_id
        super().__init__(f"回拨记录不存在 / missed call not found: {missed_id}")


class AlreadyHandled(CallLogError):
    error_id = "calls.already_handled"

    def __init__(self, missed_id: int, status: str) -> None:
        self.missed_id = missed_id
        self.status = status
        super().__init__(f"回拨记录 {missed_id} 已处理（{status}） / missed call {missed_id} is already {status}")


class InvalidCallField(CallLogError):
    error_id = "calls.invalid_field"

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"字段 {field} 无效：{reason} / invalid field '{field}': {reason}")


class ClaimedByOther(CallLogError):
    """Another agent is calling this worklist row back right now (漏接回拨 page, issue 14.3)."""

    error_id = "calls.claimed"

    def __init__(self, missed_id: int, holder: str) -> None:
        self.missed_id = missed_id
        self.holder = holder
        super().__init__(f"坐席 {holder} 正在回拨此来电 / missed call {missed_id} is being called back by {holder}")
