"""Call log and missed-call callback worklist (漏接回拨).

`CallTracker` follows every call by Linkedid from AMI events and emits a `FinishedCall` when its
last channel is gone; `CallOutbox` delivers those to `CallLog.record` with retry, so a database
outage loses nothing; `CallLog` keeps the call records, the worklist and the caller history.
"""
from calls.codes import MissedStatus, MissReason, Outcome
from calls.errors import AlreadyHandled, CallLogError, InvalidCallField, MissedCallNotFound
from calls.finished import FinishedCall
from calls.outbox import CallOutbox
from calls.service import CallLog
from calls.tracker import CallTracker
from calls.views import CallerHistory, CallView, MissedCallView

__all__ = [
    "AlreadyHandled", "CallLog", "CallLogError", "CallOutbox", "CallTracker", "CallView", "CallerHistory",
    "FinishedCall", "InvalidCallField", "MissReason", "MissedCallNotFound", "MissedCallView", "MissedStatus",
    "Outcome",
]
