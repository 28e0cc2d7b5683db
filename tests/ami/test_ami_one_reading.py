"""Issue 10.0: one reading of the event stream. Every recorded Asterisk 22 stream, fed through the
AMI reader once into the queued calls' model (calls/model.py) with the live floor and the call
log as its readers: both hold the same visits and count the same outcomes, and the shared reading
judges every call as the floor and the tracker did when each read the stream alone."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from ami_replay import ami_streams

from calls.model import EventReading, QueueCalls
from calls.outcome import visit_outcome
from calls.tracker import CallTracker
from hotline.ami.events import to_event
from hotline.ami.message import Source
from hotline.ami.protocol import AmiReader
from queues.live import LiveFloor

STREAMS = ami_streams("from_asterisk")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _events(path):
    reader = AmiReader(source=Source("pbx1", 1))
    return [to_event(m) for m in reader.feed(path.read_bytes()) if m.event and m.get("ActionID") is None]


def _run(path, shared: bool):
    clock, finished = Clock(), []
    visits = QueueCalls(clock) if shared else None
    floor, tracker = LiveFloor(clock, visits=visits), CallTracker(clock, finished.append, visits=visits)
    handle = EventReading(visits, [floor, tracker]).handle if shared else None
    for event in _events(path):
        clock.now += timedelta(milliseconds=100)
        if shared:
            handle(event)
        else:
            floor.handle(event)
            tracker.handle(event)
    tracker.expire(timedelta(0))   # calls still up at the end of the capture: finished now
    return floor, tracker, finished


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name.split(".from")[0])
def test_given_a_real_stream_then_the_floor_and_the_call_log_read_one_model_and_agree(path):
    floor, tracker, finished = _run(path, shared=True)
    model = tracker.visits
    assert floor.service_level.visits is model                      # one model, two readers
    entries = {id(e.visit) for e in floor.service_level._entries}
    logged = [v for call in finished for v in _visits_of(model, call)]
    assert all(id(v) in entries for v in logged)                    # the same objects, not copies
    # per visit, the call log's verdict (its last visit decides the call) is the floor's
    by_floor = Counter(e.outcome() for e in floor.service_level._entries if e.visit.ended)
    by_log = Counter(visit_outcome(v, call_over=True) for v in logged if v.ended)
    assert by_floor == by_log
    queued = [c for c in finished if c.final_queue]
    center = floor.service_level.figures(None)
    assert center["answered"] == sum(1 for c in queued if c.outcome.value == "answered")


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name.split(".from")[0])
def test_given_a_real_stream_then_the_shared_reading_equals_each_reader_alone(path):
    floor_a, _, alone = _run(path, shared=False)
    floor_b, _, shared = _run(path, shared=True)
    assert [(c.linkedid, c.outcome, c.hold_seconds, c.first_queue, c.final_queue) for c in shared] == \
        [(c.linkedid, c.outcome, c.hold_seconds, c.first_queue, c.final_queue) for c in alone]
    assert floor_b.service_level.figures(None) == floor_a.service_level.figures(None)
    assert floor_b.snapshot()["agents"] == floor_a.snapshot()["agents"]


def _visits_of(model: QueueCalls, call) -> list:
    return [v for v in model.visits_of(call.server, call.linkedid)]


def test_given_every_real_stream_then_answers_abandons_and_timeouts_are_all_compared():
    """The agreement above is not vacuous: the recorded streams hold each outcome."""
    seen = Counter()
    for path in STREAMS:
        _, _, finished = _run(path, shared=True)
        seen.update(c.outcome.value for c in finished if c.final_queue)
    assert seen["answered"] >= 10 and seen["abandoned"] >= 2 and seen["timeout"] >= 1
