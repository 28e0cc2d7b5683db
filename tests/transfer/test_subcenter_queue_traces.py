"""Transfers to the queue-only sub-center 95598 (Local/subcenter-95598@hotline-subcenter-queue) fed with the
exact bytes of real Asterisk 22.10.1 traces 21 (blind) and 22 (attended), captured from the console's
POST /transfer/subcenter {"line": "95598"} with one seat in queue subcenter-95598."""
from __future__ import annotations

from test_transfer_states import feed_all, originate_id, trace_events

from hotline.ami import events as ev
from transfer.states import BLIND, CONFERENCE, JOIN, KICK, State, TransferMachine

QUEUE_LEG = "Local/subcenter-95598@hotline-subcenter-queue-0000000{}"


def test_given_trace_21_when_the_seat_answers_in_the_queue_then_the_blind_transfer_is_answered():
    events = trace_events("21-ami-agi-subcenter-queue-blind-answered")
    machine = TransferMachine(BLIND, "Local/12345@from-trunk-00000000;2", "Local/8001@lab-agents-00000001;1")
    changes = feed_all(machine, events)
    assert [(c.after, c.detail) for c in changes] == [
        (State.DIALING, ""), (State.ANSWERED, "ANSWER"), (State.ENDED, "")]
    assert machine.target_channel == QUEUE_LEG.format(2) + ";1"


def test_given_trace_21_then_the_dial_is_answered_only_once_queue_answered_its_local_leg_for_the_seat():
    """The ;2 half running Queue() stays Ring until a seat answers; only then does the citizen's Dial see
    ANSWER (a queue with nobody answering would leave the Dial ringing until its timeout)."""
    events = trace_events("21-ami-agi-subcenter-queue-blind-answered")
    order = [(type(e).__name__, e.channel.channel if e.channel else "") for e in events
             if isinstance(e, (ev.AgentConnect, ev.DialEnd)) or (
                 isinstance(e, ev.Newstate) and e.channel and e.channel.channel.startswith(QUEUE_LEG.format(2)))]
    queue_leg = QUEUE_LEG.format(2)
    start = order.index(("DialEnd", queue_leg + ";2"))  # the seat's phone answered Queue()'s call
    assert order[start:start + 5] == [
        ("DialEnd", queue_leg + ";2"), ("AgentConnect", queue_leg + ";2"),
        ("Newstate", queue_leg + ";2"), ("Newstate", queue_leg + ";1"),  # Queue() answers its caller
        ("DialEnd", "Local/12345@from-trunk-00000000;2")]


def test_given_trace_22_when_the_seat_answers_then_citizen_agent_and_seat_are_conferenced():
    events = trace_events("22-ami-agi-subcenter-queue-attended-conference")
    citizen, agent = "Local/12345@from-trunk-00000004;2", "Local/8001@lab-agents-00000005;1"
    machine = TransferMachine(CONFERENCE, citizen, agent, conference="linkage-3")
    machine.originated(originate_id(events, "linkage-3"))
    changes = feed_all(machine, events)
    assert [(c.after, c.effects) for c in changes] == [
        (State.ANSWERED, (JOIN,)), (State.CONFERENCE, ()),
        (State.CONFERENCE, (KICK,)),  # the citizen hung up: the seat must not stay with the agent alone
        (State.HANDED_OVER, ()), (State.ENDED, ())]
    assert machine.target_channel == QUEUE_LEG.format(6) + ";1"
    joined = [e.channel.channel for e in events if isinstance(e, ev.ConfbridgeJoin) and e.conference == "linkage-3"]
    assert joined == [QUEUE_LEG.format(6) + ";1", citizen, agent]


def test_given_trace_24_when_no_seat_is_in_the_queue_then_the_dial_times_out_no_answer_and_the_pool_answers():
    """Queue() waits (joinempty = yes) until the Dial's 30 s timeout; the row ends no_answer while
    [hotline-route] subcenter takes the citizen back to hotline-general, where agent01 answers again."""
    events = trace_events("24-ami-agi-subcenter-queue-blind-noseat-back-to-pool")
    citizen = "Local/12345@from-trunk-0000000f;2"
    machine = TransferMachine(BLIND, citizen, "Local/8001@lab-agents-00000010;1")
    changes = feed_all(machine, events)
    assert [(c.after, c.detail) for c in changes] == [(State.DIALING, ""), (State.NO_ANSWER, "NOANSWER")]
    connects = [e.queue for e in events if isinstance(e, ev.AgentConnect) and e.channel.channel == citizen]
    assert connects == ["hotline-general", "hotline-general"]  # before the transfer, and back from it
