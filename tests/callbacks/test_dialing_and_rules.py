"""The click-to-call machine fed the real Asterisk 22.10.1 bytes of trace 08 (async Originate:
`Response: Failure` + `Reason: 0` with the dial string as Channel; `Response: Success` + `Reason: 4`
with the channel's name), the Originate it sends, and the 回访 rule as a table."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callbacks.dialing import CallState, ClickCall, originate_fields
from callbacks.rules import CallbackRules, decision
from hotline.ami.events import to_event
from hotline.ami.message import Message, Source
from hotline.ami.protocol import AmiReader
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 22, 13, 8, tzinfo=UTC)
RAW = FIXTURES / "traces" / "raw" / "08-ami-originate-status-misc.ami1.from_asterisk.bin"


def trace_events() -> list:
    return [to_event(m) for m in AmiReader(source=Source("pbx1", 1)).feed(RAW.read_bytes()) if m.event]


def call(interface: str, action_id: str) -> ClickCall:
    return ClickCall("20261122000001", "agent01", interface, "12345", NOW, action_id=action_id)


def feed(machine: ClickCall, stream) -> list[CallState]:
    seen = []
    for event in stream:
        if machine.feed(event, NOW):
            seen.append(machine.state)
    return seen


def test_trace_08_failed_async_originate_is_the_agents_phone_not_reached():
    machine = call("Local/nosuchexten@agents", "ami1-12")
    assert feed(machine, trace_events()) == [CallState.AGENT_FAILED]
    assert machine.reason == "呼叫失败" and machine.agent_channel == ""  # Channel was the dial string


def test_trace_08_answered_async_originate_then_the_hangup_ends_the_call():
    machine = call("Local/agent1@agents", "ami1-13")
    assert feed(machine, trace_events()) == [CallState.CALLING_CITIZEN, CallState.ENDED]
    assert machine.agent_channel == "Local/agent1@agents-00000018;1"


def _event(name: str, **fields: str):
    return to_event(Message.from_items([("Event", name), *fields.items()], Source("pbx1", 1)))


@pytest.mark.parametrize("status, state, outcome", [
    ("ANSWER", CallState.TALKING, None), ("BUSY", CallState.CITIZEN_FAILED, "busy"),
    ("NOANSWER", CallState.CITIZEN_FAILED, "no_answer"), ("CHANUNAVAIL", CallState.CITIZEN_FAILED, "unreachable")])
def test_the_citizens_dialstatus_on_the_agents_channel_decides(status, state, outcome):
    machine = call("PJSIP/8101", "e-1")
    machine.feed(_event("OriginateResponse", ActionID="e-1", Response="Success", Channel="PJSIP/8101-0000000a",
                        Reason="4"), NOW)
    other = _event("VarSet", Channel="PJSIP/8102-0000000b", Variable="DIALSTATUS", Value="BUSY")
    empty = _event("VarSet", Channel="PJSIP/8101-0000000a", Variable="DIALSTATUS", Value="")
    assert not machine.feed(other, NOW) and not machine.feed(empty, NOW)  # another phone; Dial starting
    machine.feed(_event("VarSet", Channel="PJSIP/8101-0000000a", Variable="DIALSTATUS", Value=status), NOW)
    assert (machine.state, machine.suggested_outcome) == (state, outcome)


@pytest.mark.parametrize("reason, text", [("3", "无人接听"), ("5", "忙"), ("1", "已挂断"), ("8", "线路拥塞")])
def test_agent_phone_failures_name_asterisks_reason(reason, text):
    machine = call("PJSIP/8101", "e-2")
    assert not machine.feed(_event("OriginateResponse", ActionID="e-9", Response="Failure", Reason=reason), NOW)
    machine.feed(_event("OriginateResponse", ActionID="e-2", Response="Failure", Channel="PJSIP/8101",
                        Reason=reason), NOW)
    assert machine.state is CallState.AGENT_FAILED and machine.label == f"您的话机未接通（{text}）"


def test_the_originate_is_shaped_as_in_trace_08_and_a_caller_id_cannot_break_framing():
    fields = originate_fields(call("PJSIP/8101", ""), "13800138000", "hotline-callback", 30, 45)
    assert fields == {"Channel": "PJSIP/8101", "Context": "hotline-callback", "Exten": "13800138000",
                      "Priority": "1", "CallerID": "12345 <12345>", "Timeout": "30000",
                      "Variable": "HOTLINE_TICKET=20261122000001,HOTLINE_CALLBACK_CID=12345,HOTLINE_CALLBACK_RING=45",
                      "Async": "true"}
    evil = ClickCall("20261122000001", "a", "PJSIP/8101", "0571\r\nAction: Hangup", NOW)
    assert originate_fields(evil, "1", "c", 1, 1)["CallerID"] == "0571ActionHangup <0571ActionHangup>"


RULES = CallbackRules(unreachable_after=3, count_channels=("agent", "survey"))


@pytest.mark.parametrize("outcome, resolved, satisfaction, failed, channel, action", [
    ("reached", True, "satisfied", 0, "agent", "closed"),
    ("reached", True, "basically_satisfied", 0, "survey", "closed"),
    ("reached", True, "dissatisfied", 0, "agent", "reopened"),
    ("reached", False, "satisfied", 0, "agent", "reopened"),
    ("no_answer", None, None, 2, "agent", "pending"),
    ("busy", None, None, 3, "survey", "unreachable"),
    ("hung_up", True, None, 3, "agent", "unreachable"),
    ("no_answer", None, None, 5, "sms", "pending"),  # sms does not count towards 无法回访 here
])
def test_the_callback_rule(outcome, resolved, satisfaction, failed, channel, action):
    assert decision(outcome, resolved, satisfaction, failed, RULES, channel) == action


class _Client:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def send(self, name, fields):
        self.sent.append((name, fields))
        return {"ActionID": f"t-{len(self.sent)}"}


class _Ticket:
    number, caller, line_dialed = "20261122000001", "13800138000", "12315"


async def test_a_lost_switch_or_a_lost_originate_response_does_not_block_the_agents_next_call():
    from callbacks.clicktocall import CallError, ClickToCall
    from hotline.config import CallbacksSection

    now = [NOW]
    client = _Client()
    dialer = ClickToCall({"pbx1": client}, lambda: now[0], CallbacksSection(caller_ids={"12315": "12315"}))
    first = await dialer.call(_Ticket(), "agent01", "PJSIP/8101")
    assert client.sent[0][1]["CallerID"] == "12315 <12315>" and first.action_id == "t-1"
    with pytest.raises(CallError) as busy:
        await dialer.call(_Ticket(), "agent01", "PJSIP/8101")
    assert busy.value.message == "您已有一通进行中的回访呼叫"
    dialer.handle(_event("AmiClientDisconnected", Server="pbx1"))
    assert first.state is CallState.AGENT_FAILED and first.label == "您的话机未接通（与交换机的连接中断）"

    second = await dialer.call(_Ticket(), "agent01", "PJSIP/8101")
    now[0] = NOW + timedelta(seconds=30 + 16)  # ring time + margin, and no OriginateResponse came
    third = await dialer.call(_Ticket(), "agent01", "PJSIP/8101")
    assert second.state is CallState.AGENT_FAILED and third.active
    with pytest.raises(CallError) as no_phone:
        await dialer.call(_Ticket(), "agent02", None)
    assert no_phone.value.error_id == "callbacks.call.no_phone"


def test_trace_28_the_agents_phone_answers_and_the_citizen_leg_cannot_be_created():
    """Real Asterisk 22.10.1 without the carrier's channel driver: the Originate of the agent's phone
    into [hotline-callback] answers (Reason 4), its Dial() to the citizen ends CHANUNAVAIL."""
    events = [to_event(m) for m in AmiReader(source=Source("pbx1", 1)).feed(
        (FIXTURES / "traces" / "raw" / "28-ami-callback-clicktocall-chanunavail.ami1.from_asterisk.bin").read_bytes())
        if m.event]
    machine = call("Local/8001@lab-agents", "pbx1-558548-1-36")
    assert feed(machine, events) == [CallState.CALLING_CITIZEN, CallState.CITIZEN_FAILED]
    assert machine.agent_channel == "Local/8001@lab-agents-0000000c;1"
    assert (machine.dial_status, machine.suggested_outcome) == ("CHANUNAVAIL", "unreachable")


def test_a_center_on_another_trunk_has_the_citizen_dialed_through_its_own_dial_string():
    """[callbacks] dial (e.g. an E1 trunk): passed as HOTLINE_CALLBACK_DIAL, which [hotline-callback]
    dials instead of its PJSIP default; the default sends nothing, so the shipped dialplan decides."""
    from hotline.config import CallbacksSection

    machine = call("PJSIP/8101", "e-9")
    default = originate_fields(machine, "13800138000", "hotline-callback", 30, 45,
                               CallbacksSection().dial_string("13800138000"))
    assert "HOTLINE_CALLBACK_DIAL" not in default["Variable"]
    e1 = CallbacksSection(dial="DAHDI/g1/{number}")
    fields = originate_fields(machine, "13800138000", "hotline-callback", 30, 45, e1.dial_string("138-0013-8000"))
    assert fields["Variable"].endswith(",HOTLINE_CALLBACK_DIAL=DAHDI/g1/13800138000")
    with pytest.raises(ValueError):
        CallbacksSection(dial="DAHDI/g1/{number},,r")


def test_trace_30_click_to_call_through_the_configured_dial_string_talks_then_ends():
    """Real Asterisk 22.10.1, [callbacks] dial = Local/{number}@lab-citizen: the agent's phone answers,
    Dial(${HOTLINE_CALLBACK_DIAL}) reports the empty DIALSTATUS first, then ANSWER; the citizen hangs up."""
    events = [to_event(m) for m in AmiReader(source=Source("pbx1", 1)).feed(
        (FIXTURES / "traces" / "raw" / "30-ami-callback-clicktocall-answered.ami1.from_asterisk.bin").read_bytes())
        if m.event]
    machine = call("Local/8001@lab-agents", "pbx1-d17e39-1-7")
    assert feed(machine, events) == [CallState.CALLING_CITIZEN, CallState.TALKING, CallState.ENDED]
    assert (machine.dial_status, machine.suggested_outcome) == ("ANSWER", None)
