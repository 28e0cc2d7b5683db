"""双号并行 12315 against real Asterisk 22.10.1 events (trace 23): the IVR's "is anyone free" question, answered
by the live floor the engine builds from those events, decides spoken intake as Asterisk then showed it."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from test_live_floor import Clock, events

from ivr.frontend.flow import _no_agent_free
from queues.live import LiveFloor
from queues.routing import Route

TRACE = "23-ami-agi-dualnumber-12315-free-agent"
ROUTE_12315 = Route("queue", "line-12315", "hotline-general", 60, overflow_when_unstaffed=True)


def _intake_needed(floor: LiveFloor) -> bool:
    flow = _no_agent_free(SimpleNamespace(live=floor), ROUTE_12315, SimpleNamespace(notes=[]))
    try:
        effect = next(flow)
        while True:
            effect = flow.send(effect.fn(*effect.args, **effect.kwargs))
    except StopIteration as done:
        return done.value


def _floor_before(predicate) -> tuple[LiveFloor, Clock]:
    """The floor as the engine had it when the first event matching `predicate` arrived."""
    clock = Clock()
    floor = LiveFloor(clock)
    for event in events(TRACE):
        if predicate(event):
            return floor, clock
        clock.now += timedelta(seconds=0.05)
        floor.handle(event)
    raise AssertionError("event not in trace 23")


def _is_queue_add_12315(event) -> bool:
    return event.name == "QueueMemberAdded" and getattr(event, "queue", None) == "line-12315"


def test_given_nobody_in_line_12315_and_an_idle_pool_agent_then_no_intake():
    """Phase A's conditions, as they stand again right before line-12315 gets its member (agent01 is only
    known from the QueueMemberStatus events of phase A's call): Asterisk refused line-12315 (JOINEMPTY) and
    the pool answered, no RECORD FILE in agi1."""
    floor, _ = _floor_before(_is_queue_add_12315)
    assert floor.available_agents("hotline-general") == 1 and not floor.accepts_callers("line-12315")
    assert _intake_needed(floor) is False


def test_given_the_12315_member_busy_on_another_call_then_intake_even_with_an_idle_pool_agent():
    """Phase B: line-12315 accepts callers (an in-use member is no reason to refuse), so the citizen waits
    there and gives spoken intake first (RECORD FILE in agi2)."""
    second_call = []

    def second_12315_call(event) -> bool:
        if event.name == "Newchannel" and event.channel.channel.startswith("Local/12315@from-trunk"):
            second_call.append(event)
        return len(second_call) == 3  # ;1 and ;2 of phase A, then phase B's ;1

    floor, _ = _floor_before(second_12315_call)
    assert floor.accepts_callers("line-12315") and floor.available_agents("line-12315") == 0
    assert floor.available_agents("hotline-general") == 1
    assert _intake_needed(floor) is True
