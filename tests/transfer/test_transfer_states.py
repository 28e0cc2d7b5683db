"""The per-transfer state machine fed with the exact bytes of real Asterisk 22 traces (05a, 05b, 09a, 09b)."""
from __future__ import annotations

from pathlib import Path

import pytest

from hotline.ami import events as ev
from hotline.ami.message import Message
from hotline.ami.protocol import AmiReader
from transfer.errors import TransferError
from transfer.states import BLIND, CONFERENCE, JOIN, KICK, State, TransferMachine

RAW = Path(__file__).parents[1] / "fixtures" / "traces" / "raw"


def trace_events(name: str) -> list[ev.AmiEvent]:
    messages = AmiReader().feed((RAW / f"{name}.ami1.from_asterisk.bin").read_bytes())
    return [ev.to_event(m) for m in messages if m.get("Event")]


def feed_all(machine: TransferMachine, events) -> list:
    return [c for c in (machine.feed(e) for e in events) if c is not None]


def originate_id(events, data_prefix: str) -> str:
    (found,) = [e.action_id for e in events
                if isinstance(e, ev.OriginateResponse) and e.data.startswith(data_prefix)]
    return found


def test_given_trace_09a_part1_when_fed_then_answered_conference_handed_over_and_ended_in_that_order():
    events = trace_events("09a-ami-linkage-confbridge")
    machine = TransferMachine(CONFERENCE, "Local/12345@lab-linkage-00000000;2", "Local/agent9@lab-agents-00000001;1",
                              conference="linkage-1001")
    machine.originated(originate_id(events, "linkage-1001"))
    changes = feed_all(machine, events)
    assert [(c.after, c.effects) for c in changes] == [
        (State.ANSWERED, (JOIN,)), (State.CONFERENCE, ()), (State.HANDED_OVER, ()),
        (State.HANDED_OVER, (KICK,)),  # the citizen hung up: 119 must not stay alone in the conference
        (State.ENDED, ())]
    assert machine.target_channel == "Local/119@emergency-00000002;1"


def test_given_trace_09a_part2_when_the_agent_phone_hangs_up_then_the_transfer_is_handed_over_not_ended():
    events = trace_events("09a-ami-linkage-confbridge")
    machine = TransferMachine(CONFERENCE, "Local/12345@lab-linkage-00000004;2", "Local/agent9@lab-agents-00000005;1",
                              conference="linkage-1002")
    machine.originated(originate_id(events, "linkage-1002"))
    states = [c.after for c in feed_all(machine, events)]
    assert states[:3] == [State.ANSWERED, State.CONFERENCE, State.HANDED_OVER]
    assert states[-1] is State.ENDED  # ConfbridgeKick Channel=all → ConfbridgeEnd


def test_given_another_conference_in_the_trace_when_fed_then_this_transfer_does_not_move():
    events = trace_events("09a-ami-linkage-confbridge")
    machine = TransferMachine(CONFERENCE, "PJSIP/trunk-1", "PJSIP/8001-2", conference="linkage-9")
    machine.originated("someone-else-1")
    assert feed_all(machine, events) == [] and machine.state is State.DIALING


def test_given_trace_05b_when_the_agent_blind_transfers_then_dialing_is_learnt_from_the_event_not_assumed():
    events = trace_events("05b-ami-blindtransfer")
    machine = TransferMachine(BLIND, "Local/500@xfer-00000020;2", "Local/agent3@agents-00000021;1")
    changes = feed_all(machine, events)
    # xfer,target answers in the dialplan itself (no Dial): no answer is ever reported, and the
    # citizen hanging up while we still wait for one is a failure, not a success.
    assert [c.after for c in changes] == [State.DIALING, State.FAILED]
    assert machine.detail == "citizen hung up"


def _dials_started(events) -> list[str]:
    """The channels whose Dial() cleared DIALSTATUS as it started (Asterisk's VarSet DIALSTATUS "")."""
    return [e.channel.channel for e in events
            if isinstance(e, ev.VarSet) and e.variable == "DIALSTATUS" and e.value == "" and e.channel]


@pytest.mark.parametrize("trace", ["05a-ami-redirect-bridged", "05b-ami-blindtransfer", "09a-ami-linkage-confbridge"])
def test_given_an_answered_dial_in_a_real_trace_when_a_blind_transfer_follows_it_then_it_is_answered(trace):
    """Every Dial in these traces was answered; the empty DIALSTATUS it publishes first is no outcome."""
    events = trace_events(trace)
    dialers = _dials_started(events)
    assert dialers, "the trace shows Dial() clearing DIALSTATUS"
    for citizen in dialers:
        machine = TransferMachine(BLIND, citizen, "PJSIP/8001-00000002", state=State.DIALING)
        changes = feed_all(machine, events)
        (begin, *_) = [e for e in events if isinstance(e, ev.DialBegin) and e.channel and e.channel.channel == citizen]
        assert (changes[0].after, changes[0].detail) == (State.ANSWERED, "ANSWER"), (citizen, changes)
        assert machine.target_channel == begin.dest.channel


def test_given_trace_09b_when_fed_to_a_conference_transfer_then_an_attended_threeway_is_not_mistaken_for_ours():
    events = trace_events("09b-ami-linkage-atxfer-threeway")
    transfers = [e for e in events if isinstance(e, ev.AttendedTransfer)]
    assert transfers and transfers[0].dest_type == "Threeway"
    citizen = transfers[0].transferee.channel
    machine = TransferMachine(CONFERENCE, citizen, transfers[0].orig_transferer.channel, conference="linkage-5")
    machine.originated("not-in-this-trace")
    assert [c.after for c in feed_all(machine, events)] == [State.FAILED]  # only the citizen's final hang-up
    assert machine.detail == "citizen hung up"


def _event(text: str) -> ev.AmiEvent:
    raw = "".join(f"{line}\r\n" for line in text.strip().splitlines()) + "\r\n"
    (msg,) = AmiReader().feed(b"Asterisk Call Manager/11.0.0\r\n" + raw.encode())
    assert isinstance(msg, Message)
    return ev.to_event(msg)


def _dial_end(status: str) -> ev.AmiEvent:
    return _event(f"""Event: DialEnd
Privilege: call,all
Channel: PJSIP/trunk-00000001
Uniqueid: 1.1
Linkedid: 1.1
DestChannel: PJSIP/119-00000009
DialStatus: {status}""")


@pytest.mark.parametrize(("status", "state"), [("ANSWER", State.ANSWERED), ("BUSY", State.BUSY),
                                               ("NOANSWER", State.NO_ANSWER), ("CHANUNAVAIL", State.FAILED),
                                               ("CONGESTION", State.FAILED)])
def test_given_a_blind_transfer_dialing_when_the_dial_ends_then_the_dial_status_decides(status, state):
    machine = TransferMachine(BLIND, "PJSIP/trunk-00000001", "PJSIP/8001-00000002", state=State.DIALING)
    assert machine.feed(_dial_end(status)).after is state


@pytest.mark.parametrize(("response", "reason", "state"), [("Failure", 5, State.BUSY), ("Failure", 3, State.NO_ANSWER),
                                                           ("Failure", 0, State.FAILED), ("Failure", 8, State.FAILED)])
def test_given_a_conference_dial_when_the_originate_fails_then_the_reason_decides(response, reason, state):
    machine = TransferMachine(CONFERENCE, "PJSIP/trunk-1", "PJSIP/8001-2", conference="linkage-1")
    machine.originated("abc-1")
    change = machine.feed(_event(f"""Event: OriginateResponse
Privilege: call,all
ActionID: abc-1
Response: {response}
Channel: PJSIP/119@emergency-trunk
Application: ConfBridge
Data: linkage-1,linkage_bridge,linkage_user
Reason: {reason}
Uniqueid: <unknown>"""))
    assert change.after is state and change.effects == ()


def test_given_a_given_up_conference_transfer_when_the_target_answers_late_then_it_is_kicked():
    machine = TransferMachine(CONFERENCE, "PJSIP/trunk-1", "PJSIP/8001-2", conference="linkage-1")
    machine.originated("abc-2")
    machine.feed(_event("Event: Hangup\nPrivilege: call,all\nChannel: PJSIP/trunk-1\nCause: 16"))
    assert machine.state is State.FAILED
    late = machine.feed(_event("""Event: OriginateResponse
Privilege: call,all
ActionID: abc-2
Response: Success
Channel: PJSIP/119-00000003
Reason: 4"""))
    assert late.effects == (KICK,) and machine.state is State.FAILED


def test_given_a_finished_transfer_when_forcing_an_illegal_transition_then_a_typed_error_is_raised():
    machine = TransferMachine(BLIND, "a", "b", state=State.BUSY)
    with pytest.raises(TransferError) as err:
        machine.go(State.ANSWERED)
    assert err.value.error_id == "transfer.state.invalid"


@pytest.mark.parametrize(("status", "state"), [("BUSY", State.BUSY), ("CHANUNAVAIL", State.FAILED),
                                               ("NOANSWER", State.NO_ANSWER)])
def test_given_a_dial_that_never_started_a_leg_when_dialstatus_is_set_then_it_decides(status, state):
    machine = TransferMachine(BLIND, "PJSIP/trunk-00000001", "PJSIP/8001-00000002", state=State.DIALING)
    change = machine.feed(_event(f"""Event: VarSet
Privilege: dialplan,all
Channel: PJSIP/trunk-00000001
Variable: DIALSTATUS
Value: {status}"""))
    assert (change.after, machine.detail) == (state, status)


def test_given_an_answered_blind_transfer_when_dialstatus_answer_follows_then_nothing_changes():
    machine = TransferMachine(BLIND, "PJSIP/trunk-00000001", "PJSIP/8001-00000002", state=State.ANSWERED)
    assert machine.feed(_event("Event: VarSet\nChannel: PJSIP/trunk-00000001\nVariable: DIALSTATUS\nValue: ANSWER")) is None


def _var(value: str) -> ev.AmiEvent:
    return _event(f"Event: VarSet\nPrivilege: dialplan,all\nChannel: PJSIP/trunk-00000001\nVariable: DIALSTATUS\nValue: {value}")


_DIAL_BEGIN = """Event: DialBegin
Privilege: call,all
Channel: PJSIP/trunk-00000001
DestChannel: PJSIP/119-00000009
DialString: 119@emergency-trunk"""


@pytest.mark.parametrize(("status", "state"), [("BUSY", State.BUSY), ("NOANSWER", State.NO_ANSWER),
                                               ("CHANUNAVAIL", State.FAILED)])
def test_given_a_blind_transfer_when_dial_runs_in_asterisks_order_then_the_final_status_decides(status, state):
    """Dial(): VarSet DIALSTATUS "" at start, DialBegin, DialEnd, VarSet DIALSTATUS (05b); a leg that cannot
    be created gives no DialBegin/DialEnd, only the two VarSets."""
    machine = TransferMachine(BLIND, "PJSIP/trunk-00000001", "PJSIP/8001-00000002", state=State.DIALING)
    sequence = [_var("")]
    if status != "CHANUNAVAIL":
        sequence += [_event(_DIAL_BEGIN), _dial_end(status)]
    sequence.append(_var(status))
    changes = feed_all(machine, sequence)
    assert [(c.after, c.detail) for c in changes] == [(state, status)]
    assert machine.state is state


@pytest.mark.parametrize(("trace", "state", "status"), [
    ("14-ami-dial-busy", State.BUSY, "BUSY"),
    ("15-ami-dial-noanswer", State.NO_ANSWER, "NOANSWER"),
])
def test_given_a_real_busy_or_unanswered_dial_when_a_blind_transfer_follows_it_then_that_is_the_outcome(
        trace, state, status):
    """Traces 14/15 (real Asterisk 22.10.1, see tests/fixtures/traces/README.md): empty DIALSTATUS,
    DialBegin, DialEnd BUSY|NOANSWER, then the final DIALSTATUS."""
    events = trace_events(trace)
    (citizen,) = _dials_started(events)
    machine = TransferMachine(BLIND, citizen, "PJSIP/8001-00000002", state=State.DIALING)
    changes = feed_all(machine, events)
    assert [(c.after, c.detail) for c in changes] == [(state, status)]


# --- trace 18 (real Asterisk 22.10.1): an answered emergency blind transfer --------------------------
_CITIZEN_18 = "Local/citizen@lab-bridge-00000002;2"
_AGENT_18 = "Local/8001@lab-agents-00000003;1"
_TARGET_18 = "Local/119@lab-emergency-00000004;1"


def _is_answer_varset(e) -> bool:
    return (isinstance(e, ev.VarSet) and e.variable == "DIALSTATUS" and e.value == "ANSWER" and e.channel
            and e.channel.channel == _CITIZEN_18)


def _transfer_dial_outcome(events) -> tuple[int, int]:
    """Indexes of the VarSet DIALSTATUS=ANSWER and the DialEnd of the Dial to 119 the transfer started."""
    (end,) = [i for i, e in enumerate(events) if isinstance(e, ev.DialEnd) and e.dest and e.dest.channel == _TARGET_18]
    (var,) = [i for i, e in enumerate(events[:end]) if _is_answer_varset(e)
              and i > next(j for j, b in enumerate(events) if isinstance(b, ev.BlindTransfer))
              and any(isinstance(b, ev.DialBegin) and b.dest and b.dest.channel == _TARGET_18 for b in events[:i])]
    return var, end


def _blind_18() -> TransferMachine:
    return TransferMachine(BLIND, _CITIZEN_18, _AGENT_18)


def test_the_real_trace_18_sets_dialstatus_answer_before_dialend_and_reports_the_old_dials_answer_first():
    events = trace_events("18-ami-blindtransfer-emergency-answered")
    var, end = _transfer_dial_outcome(events)
    assert var < end
    transfer = next(i for i, e in enumerate(events) if isinstance(e, ev.BlindTransfer))
    stale = [i for i, e in enumerate(events[transfer:var], transfer) if _is_answer_varset(e)]
    assert stale, "the citizen's previous Dial() reports ANSWER once the transfer pulled it out"


@pytest.mark.parametrize("order", ["as recorded (VarSet first)", "DialEnd first", "no DialEnd", "no VarSet"])
def test_given_trace_18_when_the_answered_dial_reports_in_either_order_then_the_transfer_is_answered_then_ended(order):
    """The console's one-click 119 transfer on a real Asterisk: the ledger must say answered, never failed."""
    events = trace_events("18-ami-blindtransfer-emergency-answered")
    var, end = _transfer_dial_outcome(events)
    if order == "DialEnd first":
        events[var], events[end] = events[end], events[var]
    elif order == "no DialEnd":
        del events[end]
    elif order == "no VarSet":
        del events[var]
    machine = _blind_18()
    changes = feed_all(machine, events)
    assert [(c.after, c.detail) for c in changes][:2] == [(State.DIALING, ""), (State.ANSWERED, "ANSWER")]
    assert changes[-1].after is State.ENDED and machine.target_channel == _TARGET_18


def test_given_trace_18_when_the_answer_comes_only_as_dialstatus_then_it_is_the_decision_not_the_stale_one():
    """The first ANSWER after BlindTransfer belongs to the citizen's old Dial: taking it would call the
    transfer answered before 119 even rang."""
    events = trace_events("18-ami-blindtransfer-emergency-answered")
    machine = _blind_18()
    seen_begin = False
    for event in events:
        change = machine.feed(event)
        if isinstance(event, ev.DialBegin) and event.dest and event.dest.channel == _TARGET_18:
            seen_begin = True
        if change is not None and change.after is State.ANSWERED:
            assert seen_begin
            break
    else:
        pytest.fail("never answered")


def test_given_trace_17_when_the_ivr_sent_the_call_to_119_then_its_dial_is_answered_in_either_order():
    """Trace 17: the dialplan's own emergency Dial after an AGI session that ended FAILURE."""
    events = trace_events("17-ami-agi-missing-prompt-119")
    citizen = "Local/12345@from-trunk-00000000;2"
    assert [e.value for e in events if isinstance(e, ev.VarSet) and e.variable == "AGISTATUS"] == ["FAILURE"]
    (end,) = [i for i, e in enumerate(events) if isinstance(e, ev.DialEnd) and e.channel and e.channel.channel == citizen]
    (var,) = [i for i, e in enumerate(events[:end]) if isinstance(e, ev.VarSet) and e.variable == "DIALSTATUS"
              and e.value == "ANSWER"]
    for stream in (events, [*events[:var], events[end], *events[var + 1:end], events[var], *events[end + 1:]]):
        machine = TransferMachine(BLIND, citizen, "PJSIP/8001-00000002", state=State.DIALING)
        assert [c.after for c in feed_all(machine, stream)] == [State.ANSWERED, State.ENDED]
        assert machine.target_channel == "Local/119@lab-emergency-00000001;1"
