"""bench/console's screen-pop matching (pure): AgentCalled → the complete pop on that agent's page."""
from __future__ import annotations

from bench.console_load.latency import screen_pops


def test_each_call_counts_once_from_its_first_ring_and_seats_without_a_page_are_left_out():
    called = {"PJSIP/8001": [(10.0, "L1"), (12.0, "L1"), (20.0, "L2")], "PJSIP/8002": [(11.0, "L3")],
              "PJSIP/8600": [(11.0, "L4")]}                      # no page open for 8600
    pops = {"PJSIP/8001": [[10.08, "L1", True], [20.5, "L2", False]], "PJSIP/8002": []}
    found = screen_pops(called, pops, 0.0, 100.0)
    assert [round(s, 2) for s in found.samples] == [0.08, 0.5]
    assert (found.missed, found.with_draft) == (1, 1)           # L3 never popped; L4 not counted
    assert screen_pops(called, pops, 15.0, 100.0).samples == [0.5]  # rings outside the window are left out
