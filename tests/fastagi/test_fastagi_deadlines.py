from __future__ import annotations

import math

from ivr.fastagi.deadlines import Deadlines


class Item:
    def __init__(self) -> None:
        self.deadline = math.inf
        self.expired = 0

    def expire(self) -> None:
        self.expired += 1


def test_given_armed_items_when_clock_passes_deadline_then_each_expires_once_and_is_disarmed():
    now = [100.0]
    deadlines = Deadlines(interval=0.5, clock=lambda: now[0])
    slow, fast, idle = Item(), Item(), Item()
    for item in (slow, fast, idle):
        deadlines.watch(item)
    slow.deadline = deadlines.clock() + 10
    fast.deadline = deadlines.clock() + 1
    now[0] = 101.0
    assert deadlines.expire_due() == 1
    now[0] = 200.0
    assert deadlines.expire_due() == 1
    assert deadlines.expire_due() == 0
    assert (slow.expired, fast.expired, idle.expired) == (1, 1, 0)
    assert fast.deadline == math.inf


def test_given_unwatched_item_when_overdue_then_not_expired():
    now = [0.0]
    deadlines = Deadlines(clock=lambda: now[0])
    item = Item()
    deadlines.watch(item)
    item.deadline = 1.0
    deadlines.unwatch(item)
    now[0] = 5.0
    assert deadlines.expire_due() == 0 and item.expired == 0 and len(deadlines) == 0
