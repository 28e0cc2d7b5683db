"""Fan-out in isolation: big backlogs, drain, unsubscribe, inline and typed delivery."""
from __future__ import annotations

import asyncio

import pytest
from ami_replay import stray_tasks

from hotline.ami.events import QueueCallerJoin, to_event
from hotline.ami.fanout import EventFanout
from hotline.ami.message import Message, Source


def events(count: int, name: str = "VarSet") -> list[Message]:
    return [Message.from_items([("Event", name), ("Uniqueid", str(i))], Source("pbx1", 1)) for i in range(count)]


async def test_given_backlog_larger_than_a_batch_then_every_event_arrives_in_order():
    fanout = EventFanout()
    got = []
    sub = fanout.subscribe(lambda m: got.append(m["Uniqueid"]))
    fanout.publish(events(1500))
    async with asyncio.timeout(5):
        await fanout.drain()
    assert got == [str(i) for i in range(1500)] and sub.delivered == 1500 and sub.dropped == 0
    await fanout.close()
    assert stray_tasks() == set()


async def test_given_inline_and_typed_subscribers_then_each_gets_its_form():
    fanout = EventFanout(convert=to_event)
    inline, typed = [], []
    fanout.subscribe(inline.append, inline=True)
    fanout.subscribe(typed.append, events=["QueueCallerJoin"], typed=True)
    fanout.publish(events(2) + [Message.from_items([("Event", "QueueCallerJoin"), ("Queue", "q"),
                                                    ("Position", "1")])])
    assert len(inline) == 3  # inline: delivered before publish returns
    async with asyncio.timeout(5):
        await fanout.drain()
    assert len(typed) == 1 and isinstance(typed[0], QueueCallerJoin) and typed[0].position == 1
    await fanout.close()


async def test_given_unsubscribed_then_no_more_events_and_task_gone():
    fanout = EventFanout()
    got = []

    async def handler(msg):
        got.append(msg)

    sub = fanout.subscribe(handler)
    fanout.publish(events(3))
    async with asyncio.timeout(5):
        await fanout.drain()
        await fanout.unsubscribe(sub)
    fanout.publish(events(3))
    assert len(got) == 3 and stray_tasks() == set()
    await fanout.close()


async def test_given_bad_subscription_options_then_refused():
    fanout = EventFanout()

    async def handler(msg):
        pass

    with pytest.raises(ValueError):
        fanout.subscribe(handler, inline=True)
    await fanout.close()
    with pytest.raises(RuntimeError):
        fanout.subscribe(print)
