"""AgentCalls finds a call by either leg's channel (issue 15: no scan of every call per Hangup)."""
from __future__ import annotations

from hotline.ami import events as ev
from hotline.ami.protocol import AmiReader
from transfer.agent_calls import AgentCalls


def _event(raw: str):
    (msg,) = AmiReader().feed(raw.encode())
    return ev.to_event(msg)


def connect(n: int, interface: str) -> ev.AmiEvent:
    return _event(f"Event: AgentConnect\r\nChannel: PJSIP/trunk-{n:08x}\r\nUniqueid: {n}.1\r\nLinkedid: {n}.1\r\n"
                  f"CallerIDNum: 138{n:08d}\r\nDestChannel: {interface}-{n:08x}\r\nQueue: hotline-general\r\n"
                  f"Interface: {interface}\r\nMemberName: x\r\n\r\n")


def hangup(channel: str) -> ev.AmiEvent:
    return _event(f"Event: Hangup\r\nChannel: {channel}\r\nUniqueid: u\r\nLinkedid: l\r\nCause: 16\r\n\r\n")


def test_a_hangup_of_either_leg_forgets_only_that_call_among_thousands():
    calls = AgentCalls()
    for n in range(3000):
        calls.handle(connect(n, f"PJSIP/{8000 + n}"))
    calls.handle(hangup("PJSIP/trunk-00000007"))            # the citizen's leg
    calls.handle(hangup(f"PJSIP/{8000 + 9}-{9:08x}"))       # the agent's leg
    calls.handle(hangup("PJSIP/trunk-ffffffff"))            # a channel of no queue call
    assert calls.of("PJSIP/8007") is None and calls.of("PJSIP/8009") is None
    assert calls.of("PJSIP/8008").citizen_channel == "PJSIP/trunk-00000008"
    assert sum(1 for n in range(3000) if calls.of(f"PJSIP/{8000 + n}")) == 2998


def test_a_new_call_on_the_same_phone_replaces_the_old_one_and_the_old_legs_no_longer_match():
    calls = AgentCalls()
    calls.handle(connect(1, "PJSIP/8101"))
    calls.handle(connect(2, "PJSIP/8101"))
    calls.handle(hangup("PJSIP/trunk-00000001"))  # the first call's citizen hangs up late
    assert calls.of("PJSIP/8101").linkedid == "2.1"
