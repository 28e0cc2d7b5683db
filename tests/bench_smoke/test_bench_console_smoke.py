"""bench/console --quick as CI runs it, and the event-to-message matching it reports from."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.console_load.latency import agent_pages, ingest, match, wallboards

ROOT = Path(__file__).parents[2]


def run_bench(*args: str, timeout: float = 170) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench.console", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_given_ringing_then_talking_when_pages_show_both_then_each_delay_is_measured_from_its_own_event():
    events = [(10.0, "AgentCalled"), (12.0, "AgentConnect"), (20.0, "AgentComplete")]
    shown = [(5.0, "idle"), (10.2, "ringing"), (12.3, "talking"), (20.1, "idle")]
    delays = match(events, shown, 0.0, 100.0)
    assert delays.samples == pytest.approx([0.2, 0.3, 0.1])
    assert (delays.superseded, delays.missed, delays.already) == (0, 0, 0)


def test_given_ringing_batched_away_when_next_event_comes_first_then_counted_superseded_not_as_a_delay():
    events = [(10.0, "AgentCalled"), (10.1, "AgentConnect")]
    delays = match(events, [(5.0, "idle"), (10.3, "talking")], 0.0, 100.0)
    assert delays.samples == pytest.approx([0.2])
    assert delays.superseded == 1


def test_given_event_never_shown_or_outside_window_then_missed_or_ignored():
    events = [(1.0, "AgentCalled"), (10.0, "AgentConnect")]
    delays = match(events, [(0.5, "idle"), (1.1, "ringing")], 5.0, 100.0)
    assert (delays.samples, delays.missed) == ([], 1)


def test_given_page_already_idle_when_agent_complete_then_counted_already_shown():
    delays = match([(10.0, "AgentComplete")], [(1.0, "idle")], 0.0, 100.0)
    assert (delays.samples, delays.already, delays.missed) == ([], 1, 0)


def test_given_two_boards_when_matching_then_each_board_row_counts_separately_and_pages_without_events_add_nothing():
    events = {"PJSIP/8001": [(10.0, "AgentConnect")]}
    changes = [[10.1, 0, "PJSIP/8001", "talking"], [10.4, 1, "PJSIP/8001", "talking"], [10.2, 0, "PJSIP/8002", "idle"]]
    assert wallboards(events, changes, 0.0, 100.0).samples == pytest.approx([0.1, 0.4])
    assert agent_pages(events, {"PJSIP/8002": [(10.2, "talking")]}, 0.0, 100.0).samples == []


def test_given_floor_saw_events_in_order_when_ingest_matched_then_kth_pairs_with_kth_and_unseen_is_missed():
    events = {"PJSIP/8001": [(1.0, "AgentCalled"), (2.0, "AgentConnect"), (9.0, "AgentCalled")],
              "PJSIP/8002": [(3.0, "AgentCalled")]}
    floor = [[1.05, "AgentCalled", "PJSIP/8001"], [2.2, "AgentConnect", "PJSIP/8001"], [3.01, "AgentCalled", "PJSIP/8002"]]
    delays = ingest(events, floor, 1.5, 100.0)
    assert delays.samples == pytest.approx([0.2, 0.01])
    assert delays.missed == 1


def test_given_more_pages_than_seats_when_bench_starts_then_usage_error_before_any_process():
    result = run_bench("--seats", "10", "--agents", "20", timeout=30)
    assert result.returncode == 2
    assert "agent pages <= seats" in result.stderr
    assert "work dir" not in result.stdout


@pytest.mark.parametrize(("args", "message"), [(("--rate", "0"), "rate must be > 0"),
                                               (("--window", "2"), "window at least 5 s"),
                                               (("--agents", "lots"), "invalid int value")])
def test_given_bad_rate_window_or_count_when_bench_starts_then_usage_error_naming_it(args, message):
    result = run_bench(*args, timeout=30)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.slow
def test_given_quick_flag_when_bench_runs_then_every_page_connects_and_engine_and_baseline_delays_print():
    result = run_bench("--quick", "--no-kb")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"^pages connected\s+55\.0\s+55\.0\s+1\.0x$", out, re.M), out
    p99 = re.search(r"^agent page delay p99 \(ms\)\s+([\d.]+)\s+([\d.]+)\s", out, re.M)
    assert p99 and 0 < float(p99[1]) < 5000 and 0 < float(p99[2]) < 5000, out
    assert re.search(r"^wallboard msgs/s received\s+[1-9][\d.]*\s+[1-9]", out, re.M), out
    assert re.search(r"ratios engine / baseline: agent p99 [\d.]+x, wallboard p99 [\d.]+x, CPU [\d.]+x", out), out
    assert "sockets failed to open" not in out and "sockets closed by the server" not in out, out
