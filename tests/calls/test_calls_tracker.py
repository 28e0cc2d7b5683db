"""CallTracker fed the real Asterisk event streams: one finished record per call, right outcome."""
from __future__ import annotations

from datetime import timedelta

import pytest

from calls.codes import Outcome
from calls.tracker import CallTracker
from hotline.ami import events as ev
from tests.calls.trace_feed import Clock, events, replay, varset


def track(*traces: str, **options):
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append, **options)
    for trace in traces:
        replay(events(trace), clock, tracker)
    return tracker, done


def test_given_answered_queue_call_when_all_channels_hang_up_then_one_answered_record_with_agent():
    tracker, done = track("02a-ami-call-ivr-queue-answered")
    (call,) = done
    assert call.outcome is Outcome.ANSWERED
    assert (call.answered_interface, call.answered_member) == ("Local/agent1@agents", "Agent One")
    assert (call.caller_number, call.caller_name) == ("13800138000", "Citizen Zhang")
    assert (call.first_queue, call.final_queue, call.hold_seconds, call.talk_seconds) == ("hotline", "hotline", 0, 4)
    assert call.line == "12345" and call.linkedid == "1795352725.0" and call.server == "pbx1"
    assert call.started_at < call.answered_at < call.ended_at
    assert tracker.calls == {}


def test_given_answered_call_when_the_caller_channel_hangs_up_before_the_last_channel_then_not_finished_yet():
    stream = events("02a-ami-call-ivr-queue-answered")
    last_hangup = max(i for i, e in enumerate(stream) if isinstance(e, ev.Hangup))
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    replay(stream[:last_hangup], clock, tracker)
    assert done == [] and len(tracker.in_flight()) == 1
    replay(stream[last_hangup:], clock, tracker)
    assert len(done) == 1


def test_given_caller_hangs_up_while_member_rings_then_abandoned_with_hold_time():
    _, (call,) = track("02b-ami-queue-caller-abandon")
    assert call.outcome is Outcome.ABANDONED
    assert (call.caller_number, call.line, call.final_queue, call.hold_seconds) == (
        "13800138000", "12346", "hotline-slow", 4)
    assert call.answered_at is None and call.left_queue_at is not None
    assert call.waited_seconds == 4


def test_given_queue_timeout_then_timeout_not_abandon_although_asterisk_sends_queuecallerabandon():
    _, (call,) = track("02c-ami-queue-empty-timeout")
    assert call.outcome is Outcome.TIMEOUT
    assert (call.final_queue, call.hold_seconds, call.line) == ("hotline-empty", 5, "12347")


def test_given_strict_joinempty_without_any_queue_event_then_no_agent():
    _, (call,) = track("02d-ami-queue-joinempty-strict")
    assert call.outcome is Outcome.NO_AGENT
    assert call.first_queue == "" and call.hold_seconds == 0


def test_given_four_waiting_callers_then_chinese_names_and_priority_service_order():
    _, done = track("10-ami-queue-waiting-prio")
    assert {c.caller_name for c in done} == {"张伟", "李娜", "王芳", "赵强"}
    answered = sorted((c for c in done if c.outcome is Outcome.ANSWERED), key=lambda c: c.answered_at)
    assert [c.caller_name for c in answered] == ["王芳", "张伟", "李娜"]
    assert [c.hold_seconds for c in answered] == [5, 13, 15]
    assert {c.answered_member for c in answered} == {"坐席11"}
    (gave_up,) = [c for c in done if c.outcome is not Outcome.ANSWERED]
    assert (gave_up.caller_name, gave_up.caller_number, gave_up.outcome, gave_up.hold_seconds) == (
        "赵强", "13600136000", Outcome.ABANDONED, 12)
    assert next(c for c in done if c.caller_name == "王芳").line == "12399"


def test_given_member_lifecycle_trace_then_each_console_call_answered_by_the_named_member():
    _, done = track("12-ami-queue-member-lifecycle")
    assert [c.caller_name for c in done] == ["张伟", "李娜"]
    assert all(c.outcome is Outcome.ANSWERED and c.answered_member == "坐席01" for c in done)
    assert [c.hold_seconds for c in done] == [0, 4]


def test_given_three_way_linkage_then_the_119_leg_sharing_the_linkedid_stays_in_the_same_call():
    tracker, done = track("09b-ami-linkage-atxfer-threeway")
    (call,) = done
    assert call.outcome is Outcome.ANSWERED and call.answered_interface == "Local/agent9@lab-agents"
    assert (call.caller_number, call.caller_name) == ("13900139000", "李娜")  # not the <unknown> at hangup
    assert tracker.calls == {}


def test_given_conference_linkage_then_the_call_ends_when_the_agent_leaves_wrapup_and_the_119_leg_is_no_call_record():
    """Issue 9.6: the 119 leg originated into the conference has its own Linkedid but is no citizen's call."""
    tracker, done = track("09a-ami-linkage-confbridge")
    citizens = [c for c in done if c.caller_number == "13800138000"]
    assert len(citizens) == 2 and all(c.outcome is Outcome.ANSWERED for c in citizens)
    assert [c for c in done if c.caller_number == "119"] == [] and len(done) == 2
    assert tracker.not_hotline == 2 and tracker.calls == {}


def test_given_ivr_variables_on_the_caller_side_then_record_carries_line_ticket_and_ivr_path():
    stream = events("02b-ami-queue-caller-abandon")
    join = next(i for i, e in enumerate(stream) if isinstance(e, ev.QueueCallerJoin))
    caller_side = stream[join]
    agent_side = next(e for e in stream if isinstance(e, ev.Newchannel) and "agent2" in e.channel.channel)
    injected = [varset(caller_side, "__HOTLINE_LINE", "12315"), varset(caller_side, "HOTLINE_TICKET", "20261122000007"),
                varset(caller_side, "HOTLINE_LANG", "zh"), varset(caller_side, "HOTLINE_ACTION", "queue"),
                varset(agent_side, "HOTLINE_TICKET", "99999999999999"), varset(caller_side, "IVR_CHOICE", "1")]
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    replay([*stream[:join], *injected, *stream[join:]], clock, tracker)
    (call,) = done
    assert (call.line, call.ticket_number, call.outcome) == ("12315", "20261122000007", Outcome.ABANDONED)
    assert call.ivr_vars == {"HOTLINE_LINE": "12315", "HOTLINE_TICKET": "20261122000007", "HOTLINE_LANG": "zh",
                             "HOTLINE_ACTION": "queue"}


@pytest.mark.parametrize(("variables", "outcome"), [
    ({"HOTLINE_ACTION": "emergency", "HOTLINE_EMERGENCY": "119"}, Outcome.EMERGENCY),
    ({"HOTLINE_ACTION": "hangup"}, Outcome.IVR_HANGUP),
    ({"HOTLINE_ACTION": "subcenter", "DIALSTATUS": "CANCEL"}, Outcome.ABANDONED),
    ({"HOTLINE_ACTION": "subcenter", "DIALSTATUS": "CHANUNAVAIL"}, Outcome.FAILED),
])
def test_given_ivr_route_without_a_queue_then_outcome_follows_the_route(variables, outcome):
    stream = events("02d-ami-queue-joinempty-strict")
    template = next(e for e in stream if isinstance(e, ev.VarSet))
    stream = [e for e in stream if not (isinstance(e, ev.VarSet) and e.variable == "QUEUESTATUS")]
    first_hangup = next(i for i, e in enumerate(stream) if isinstance(e, ev.Hangup))
    injected = [varset(template, k, v) for k, v in variables.items()]
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    replay([*stream[:first_hangup], *injected, *stream[first_hangup:]], clock, tracker)
    assert done[0].outcome is outcome


def test_given_a_call_outside_the_hotline_contexts_then_no_call_record():
    stream = [e for e in events("02d-ami-queue-joinempty-strict")
              if not (isinstance(e, ev.VarSet) and e.variable == "QUEUESTATUS")]
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append, hotline_contexts=())
    replay(stream, clock, tracker)
    assert done == [] and tracker.not_hotline == tracker.finished_count > 0


def test_given_events_without_a_channel_or_for_unknown_calls_then_nothing_is_created():
    stream = events("02a-ami-call-ivr-queue-answered")
    hangups = [e for e in stream if isinstance(e, ev.Hangup)]
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    replay([e for e in stream if e.name in ("FullyBooted", "LocalBridge", "BridgeCreate")], clock, tracker)
    replay(hangups, clock, tracker)  # hangups of channels never seen: no call appears, none finishes
    assert tracker.calls == {} and done == []


def test_given_a_failing_sink_then_the_tracker_keeps_following_other_calls():
    clock, seen = Clock(), []

    def sink(record):
        seen.append(record)
        raise RuntimeError("sink down")
    tracker = CallTracker(clock, sink)
    replay(events("02b-ami-queue-caller-abandon") + events("02c-ami-queue-empty-timeout"), clock, tracker)
    assert [r.outcome for r in seen] == [Outcome.ABANDONED, Outcome.TIMEOUT]
    assert tracker.emit_errors == 2 and tracker.calls == {}


def test_given_late_events_of_a_finished_call_then_no_ghost_call_appears():
    stream = events("02c-ami-queue-empty-timeout")
    tracker, done = track("02c-ami-queue-empty-timeout")
    replay([e for e in stream if isinstance(e, ev.VarSet)], Clock(), tracker)
    assert tracker.calls == {} and len(done) == 1


def test_given_a_call_that_never_ends_when_expired_then_finished_as_lost_track():
    stream = events("02b-ami-queue-caller-abandon")
    join = next(i for i, e in enumerate(stream) if isinstance(e, ev.QueueCallerJoin))
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    replay(stream[: join + 1], clock, tracker)
    assert tracker.expire(timedelta(hours=1)) == 0
    clock.advance(hours=2)
    assert tracker.expire(timedelta(hours=1)) == 1
    assert done[0].outcome is Outcome.LOST_TRACK and tracker.calls == {}


def test_given_agentcomplete_without_channel_fields_then_talk_time_still_belongs_to_the_call():
    """Issue 9.6 / 10.2: matched by queue and member when Asterisk leaves the channel block out."""
    from hotline.ami.message import Message
    from tests.calls.trace_feed import Source

    def without_channel(e):
        if not isinstance(e, ev.AgentComplete):
            return e
        keep = [(k, v) for k, v in e.headers.items() if k in ("Event", "Privilege", "Queue", "Interface", "MemberName",
                                                              "HoldTime", "TalkTime", "Reason", "DestChannel")]
        return ev.to_event(Message.from_items(keep, Source("pbx1", 1)))

    stream = [without_channel(e) for e in events("02a-ami-call-ivr-queue-answered")]
    assert any(isinstance(e, ev.AgentComplete) and e.channel is None for e in stream)
    clock, done = Clock(), []
    tracker = CallTracker(clock, done.append)
    replay(stream, clock, tracker)
    (call,) = done
    assert call.outcome is Outcome.ANSWERED and call.talk_seconds == 4


def test_given_real_trace_17_when_the_agi_session_failed_but_the_dialplan_reached_119_then_one_emergency_record():
    """Trace 17: a prompt was missing (AGISTATUS=FAILURE) yet the call went to 119 and 119 answered. The call
    log must say so (not a missed call for the callback list), and the 119 Local leg adds no record."""
    tracker, done = track("17-ami-agi-missing-prompt-119")
    (call,) = done
    assert call.outcome is Outcome.EMERGENCY
    assert call.answered_interface == "Local/119@lab-emergency" and call.answered_at is not None
    assert (call.caller_number, call.line, call.ticket_number) == ("13800138017", "12345", "20261203000001")
    assert call.ivr_vars["HOTLINE_ACTION"] == "emergency" and call.ivr_vars["HOTLINE_EMERGENCY"] == "119"
    assert tracker.calls == {} and tracker.not_hotline == 0


def test_given_real_trace_20_when_only_the_events_manager_conf_sample_lets_through_arrive_then_the_call_is_logged():
    """Trace 20: the same kind of queue call seen through the shipped `hotline` AMI user, whose eventfilter
    drops Newexten, AGIExec*, DeviceStateChange and every VarSet outside the engine's contract."""
    _, (call,) = track("20-ami-agi-queue-call-hotline-user")
    assert call.outcome is Outcome.ANSWERED
    assert (call.answered_interface, call.answered_member) == ("Local/8001@lab-agents", "lab8001")
    assert (call.caller_number, call.line, call.first_queue, call.talk_seconds) == (
        "13800138019", "12345", "hotline-general", 3)
    assert call.ivr_vars["HOTLINE_ACTION"] == "queue"
