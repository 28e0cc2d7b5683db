"""After an AMI reconnect, calls whose channels vanished meanwhile are finished, not kept forever."""
from __future__ import annotations

from datetime import timedelta

from calls.codes import Outcome
from calls.tracker import CallTracker
from hotline.ami import events as ev
from hotline.ami.events import to_event
from tests.calls.trace_feed import Clock, control, events, messages, replay


class FakeSession:
    def __init__(self, items, server: str = "pbx1") -> None:
        self.server = server
        self._items = items
        self.sent: list[str] = []

    async def send(self, action):
        self.sent.append(action)
        return type("R", (), {"items": tuple(self._items)})()


def _until(stream, cls, after: int = 0):
    return next(i for i, e in enumerate(stream) if isinstance(e, cls)) + after


async def test_given_caller_waiting_when_ami_drops_and_channels_are_gone_then_lost_track_once():
    stream = events("02b-ami-queue-caller-abandon")
    cut = _until(stream, ev.QueueCallerJoin, 1)
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    replay(stream[:cut], clock, tracker)
    tracker.handle(control("AmiClientDisconnected"))
    session = FakeSession([])
    await tracker.resync(session)
    tracker.handle(control("AmiClientReady", Reconnect="Yes"))
    assert session.sent == ["CoreShowChannels"]
    (call,) = done
    assert call.outcome is Outcome.LOST_TRACK and call.caller_number == "13800138000"
    assert call.final_queue == "hotline-slow" and tracker.calls == {}
    replay(stream[cut:], clock, tracker)  # what we missed arrives late (another consumer's replay)
    assert len(done) == 1 and tracker.calls == {}


async def test_given_answered_call_when_its_channels_vanish_during_the_outage_then_still_answered():
    stream = events("02a-ami-call-ivr-queue-answered")
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    replay(stream[:_until(stream, ev.AgentConnect, 1)], clock, tracker)
    await tracker.resync(FakeSession([]))
    assert done[0].outcome is Outcome.ANSWERED and done[0].answered_member == "Agent One"


async def test_given_channels_still_up_when_resynced_with_the_real_list_then_the_call_continues():
    msgs = [m for m in messages("09b-ami-linkage-atxfer-threeway") if m.event]
    first_item = next(i for i, m in enumerate(msgs) if m.event == "CoreShowChannel")
    items = [m for m in msgs if m.event == "CoreShowChannel"]
    before = [to_event(m) for m in msgs[:first_item] if m.get("ActionID") is None]
    after = [to_event(m) for m in msgs[first_item:] if m.get("ActionID") is None]
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    replay(before, clock, tracker)
    await tracker.resync(FakeSession(items))
    assert done == [] and len(tracker.in_flight("pbx1")) == 1
    replay(after, clock, tracker)
    (call,) = done
    assert call.outcome is Outcome.ANSWERED and call.caller_name == "李娜"


async def test_given_a_call_started_while_disconnected_then_adopted_from_the_channel_list():
    items = [m for m in messages("09b-ami-linkage-atxfer-threeway") if m.event == "CoreShowChannel"]
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    await tracker.resync(FakeSession(items))
    (call,) = tracker.in_flight()
    assert call.linkedid == "1795354762.16" and call.caller_number == "13900139000"
    assert call.started_at <= clock.now - timedelta(seconds=6)
    assert tracker.resyncs == 1 and done == []


async def test_given_two_servers_when_one_resyncs_then_the_other_servers_calls_are_untouched():
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    for server in ("pbx1", "pbx2"):
        stream = events("02b-ami-queue-caller-abandon", server=server)
        replay(stream[:_until(stream, ev.QueueCallerJoin, 1)], clock, tracker)
    await tracker.resync(FakeSession([], server="pbx1"))
    assert [c.server for c in done] == ["pbx1"]
    assert [c.server for c in tracker.in_flight()] == ["pbx2"]


class SlowSession(FakeSession):
    """A call starts while the CoreShowChannels answer is on its way (it is not in that list)."""

    def __init__(self, items, during) -> None:
        super().__init__(items)
        self.during = during

    async def send(self, action):
        self.during()
        return await super().send(action)


async def test_given_a_call_starting_during_the_resync_then_it_is_not_mistaken_for_a_vanished_one():
    stream = events("02c-ami-queue-empty-timeout")
    join = _until(stream, ev.QueueCallerJoin, 1)
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    await tracker.resync(SlowSession([], lambda: replay(stream[:join], clock, tracker)))
    assert done == [] and len(tracker.in_flight()) == 1
    replay(stream[join:], clock, tracker)
    assert [c.outcome for c in done] == [Outcome.TIMEOUT]
