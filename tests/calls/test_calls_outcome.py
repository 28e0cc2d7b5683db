"""One reading of a call (issue 10.0/10.2): the call log and the live floor's figures judge the same
real Asterisk streams by the one rule in calls/outcome.py, so they cannot disagree."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calls.codes import Outcome
from calls.outcome import QueueVisit, VisitOutcome, answered_wait, visit_outcome
from calls.tracker import CallTracker
from queues.live import LiveFloor
from tests.calls.trace_feed import Clock, events, replay

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("trace", "outcome"), [
    ("02a-ami-call-ivr-queue-answered", Outcome.ANSWERED),
    ("02b-ami-queue-caller-abandon", Outcome.ABANDONED),
    ("02c-ami-queue-empty-timeout", Outcome.TIMEOUT),
])
def test_the_call_log_and_the_wallboard_agree_on_each_real_trace(trace, outcome):
    clock = Clock()
    finished = []
    tracker, floor = CallTracker(clock, finished.append), LiveFloor(clock)

    def both(event):
        tracker.handle(event)
        floor.handle(event)

    replay(events(trace), clock, type("Both", (), {"handle": staticmethod(both)})())
    (record,) = finished
    assert record.outcome is outcome
    center = floor.service_level.figures(None)
    assert center["offered"] == 1 and center["waiting_or_in_progress"] == 0
    assert center[outcome.value] == 1


def test_an_overflow_is_its_own_outcome_and_its_wait_counts_in_the_answer():
    """queue_log 13: EXITWITHTIMEOUT after 60 s in line-12315, then answered in the pool after 1 s."""
    dedicated = QueueVisit("line-12315", T0, hold_seconds=60, abandon_seen=True, status="TIMEOUT")
    pool = QueueVisit("hotline-general", T0, hold_seconds=1, answered=True)
    assert visit_outcome(dedicated, call_over=True) is VisitOutcome.TIMEOUT   # had the call ended there
    dedicated.note_next_visit("hotline-general")
    assert visit_outcome(dedicated, call_over=True) is VisitOutcome.OVERFLOWED
    assert answered_wait([dedicated, pool]) == 61


def test_a_caller_who_hung_up_never_overflows_and_a_requeue_to_the_same_queue_is_no_overflow():
    hung_up = QueueVisit("line-12315", T0, caller_hung_up=True, abandon_seen=True)
    hung_up.note_next_visit("hotline-general")
    assert visit_outcome(hung_up, call_over=True) is VisitOutcome.ABANDONED
    answered = QueueVisit("hotline-general", T0, answered=True, hold_seconds=1)
    answered.note_next_visit("hotline-general")   # blind transfer to a busy 120, back to the pool
    assert visit_outcome(answered, call_over=True) is VisitOutcome.ANSWERED


def test_an_unanswered_visit_with_nothing_more_known_is_undecided_until_the_call_ends():
    visit = QueueVisit("hotline-general", T0, abandon_seen=True, hold_seconds=5)
    assert visit_outcome(visit, call_over=False) is None
    assert visit_outcome(visit, call_over=True) is VisitOutcome.ABANDONED
    assert answered_wait([visit]) is None
