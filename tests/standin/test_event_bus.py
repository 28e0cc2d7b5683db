"""Event delivery: AMI-style listeners see everything, per-call watchers only their channel (O(1) per event)."""
from __future__ import annotations

import asyncio

from asterisk_standin.event_bus import EventBus, channel_of
from asterisk_standin.people import Citizen, hangup

from .amiclient import get


def _chan(name: str) -> list[tuple[str, str]]:
    return [("Channel", name), ("Uniqueid", "1.1")]


def test_given_many_watched_calls_when_one_call_has_an_event_then_only_its_watcher_runs():
    bus = EventBus()
    calls: list[str] = []
    for i in range(2000):
        bus.watch_channel(f"PJSIP/trunk-{i:08x}", lambda e, m, i=i: calls.append(i))
    everything: list[str] = []
    bus.add_listener(lambda e, m: everything.append(e))
    bus.emit("Newstate", "call,all", _chan("PJSIP/trunk-0000002a"))
    bus.emit("DeviceStateChange", "call,all", [("Device", "PJSIP/8001"), ("State", "INUSE")])
    assert calls == [42]
    assert everything == ["Newstate", "DeviceStateChange"]


def test_given_watcher_that_removes_itself_at_hangup_then_later_events_and_others_are_unaffected():
    bus = EventBus()
    seen: list[tuple[str, str]] = []

    def once(event, msg):
        seen.append(("once", event))
        if event == "Hangup":
            bus.remove_listener(once)

    bus.watch_channel("A", once)
    bus.watch_channel("A", lambda e, m: seen.append(("other", e)))
    bus.emit("Hangup", "call,all", _chan("A"))
    bus.emit("Newstate", "call,all", _chan("A"))
    assert seen == [("once", "Hangup"), ("other", "Hangup"), ("other", "Newstate")]
    assert bus.listener_count() == 1


def test_given_unknown_listener_when_removed_then_nothing_happens():
    bus = EventBus()
    bus.remove_listener(print)
    bus.add_listener(print)
    bus.remove_listener(print)
    bus.remove_listener(print)
    assert bus.listener_count() == 0


def test_given_event_without_channel_header_then_channel_of_is_none_and_first_channel_wins():
    assert channel_of([("Event", "FullyBooted"), ("Privilege", "system,all")]) is None
    assert channel_of([("Event", "DialBegin"), ("Channel", "A"), ("DestChannel", "B"), ("Channel", "C")]) == "A"


async def test_given_citizen_calls_when_they_end_then_no_watcher_is_left_and_outcomes_are_filled(standin, ami):
    pbx = standin.pbx
    before = pbx.listener_count()
    outs = [Citizen(f"1380013800{i}", dialed="301", context="agi-test", script=[hangup(1.0)]).place(pbx) for i in range(5)]
    assert pbx.listener_count() == before + 5
    async with asyncio.timeout(5):
        for out in outs:
            await out.done.wait()
    assert [o.agistatus for o in outs] == ["FAILURE"] * 5  # no FastAGI server in this test
    assert all(o.hangup_cause is not None for o in outs)
    assert pbx.listener_count() == before
    for out in outs:  # the AMI session still gets every event of those calls
        assert get(await ami.event("Hangup", Channel=out.channel), "Cause") == str(out.hangup_cause)
