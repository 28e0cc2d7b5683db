"""Which deadline a ticket is running and when its mark can next change. Pure."""
from __future__ import annotations

from datetime import datetime, timedelta

from tickets.codes import Status
from tickets.deadlines import deadline_mark

RANK = {"green": 0, "yellow": 1, "red": 2}
OPEN = {Status.REGISTERED.value, Status.DISPATCHED.value, Status.ACCEPTED.value, Status.RETURNED.value,
        Status.REOPENED.value}
DEPARTMENT_HANDLING = {Status.DISPATCHED.value, Status.ACCEPTED.value}


def running(status: str, dispatched_at: datetime | None, accept_due: datetime | None,
            registered_at: datetime | None, complete_due: datetime | None):
    """(kind, start, due) of the deadline that runs in `status`, or None (nothing to watch)."""
    if status not in OPEN:
        return None
    if status == Status.DISPATCHED.value and accept_due is not None:
        return "accept", dispatched_at, accept_due
    if complete_due is not None:
        return "complete", registered_at or dispatched_at, complete_due
    return None


def warn_at(start: datetime | None, due: datetime, share: float) -> datetime:
    if start is None or due <= start:
        return due
    return start + (due - start) * share


def next_check(mark: str, start: datetime | None, due: datetime, share: float) -> datetime | None:
    """When the mark can change next: at the warn point while green, at the deadline while yellow."""
    if mark == "green":
        return warn_at(start, due, share)
    if mark == "yellow":
        return due + timedelta(microseconds=1)  # red is "after the deadline"; never due again at the same instant
    return None


def mark_now(start: datetime | None, due: datetime, now: datetime, share: float) -> str:
    return deadline_mark(start, due, now, share) or "green"


# who a notice went to, as pages and the ticket timeline name them (a history line's "notified")
AUDIENCE_LABELS = {"department": "承办单位", "sub_unit": "下级承办单位", "center": "中心班长", "lead": "单位负责人"}
