"""Figures from the stored call log (issue 10.4), by the formulas of docs/metrics.md. The calls are the
ones a real Asterisk 22.10.1 wrote to queue_log 13 running our dialplan, as the call log stores them."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from queues.stored_figures import CENTER, StoredCall, figures_since

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def call(minutes_ago: float, outcome: str, final: str | None, hold: int, first: str | None = None) -> StoredCall:
    return StoredCall(NOW - timedelta(minutes=minutes_ago), outcome, first or final, final, hold)


QUEUE_LOG_13 = [
    call(50, "answered", "hotline-general", 1),                     # CONNECT holdtime 1
    call(49, "answered", "hotline-general", 1),                     # answered, blind transfer to 119
    call(48, "answered", "hotline-general", 12),                    # 1 s, busy 120, back: 11 s more
    call(47, "abandoned", "hotline-general", 6),                    # RINGCANCELED + ABANDON wait 6
    call(46, "answered", "hotline-general", 61, first="line-12315"),  # EXITWITHTIMEOUT 60, CONNECT 1
]


def test_queue_log_13_as_the_call_log_stores_it():
    figures = figures_since(QUEUE_LOG_13 + [call(45, "timeout", "hotline-general", 60),
                                            call(44, "ivr_hangup", None, 0)], NOW - timedelta(hours=24))
    pool, dedicated, center = figures["hotline-general"], figures["line-12315"], figures[CENTER]
    assert (center["offered"], center["answered"], center["answered_15s"], center["abandoned"], center["timeout"]) == (
        6, 4, 3, 1, 1)
    assert center["overflowed"] == 0            # for the center the overflowed call was answered
    assert center["connection_rate_pct"] == 66.7 and center["abandoned_pct"] == 16.7
    assert center["average_wait"] == 18.8 and center["longest_wait"] == 61
    assert (pool["offered"], pool["answered"]) == (6, 4)
    assert (dedicated["offered"], dedicated["answered"], dedicated["overflowed"], dedicated["abandoned"]) == (1, 0, 1, 0)
    assert dedicated["connection_rate_pct"] == 0.0


def test_today_and_24_hours_are_separate_windows():
    calls = [call(60, "answered", "hotline-general", 3), call(60 * 20, "abandoned", "hotline-general", 30)]
    since_midnight = NOW - timedelta(hours=2)
    assert figures_since(calls, since_midnight)[CENTER]["offered"] == 1
    day = figures_since(calls, NOW - timedelta(hours=24))[CENTER]
    assert (day["offered"], day["answered"], day["abandoned"]) == (2, 1, 1)
    assert figures_since([], NOW)[CENTER]["connection_rate_pct"] is None


def test_per_agent_answered_and_talk_time_come_from_the_call_log():
    from queues.stored_figures import agent_figures_since

    calls = [StoredCall(NOW - timedelta(minutes=5), "answered", "hotline-general", "hotline-general", 2,
                        "PJSIP/8001", 60),
             StoredCall(NOW - timedelta(minutes=4), "answered", "hotline-general", "hotline-general", 2,
                        "PJSIP/8001", 91),
             StoredCall(NOW - timedelta(minutes=3), "abandoned", "hotline-general", "hotline-general", 9, None, None),
             StoredCall(NOW - timedelta(hours=30), "answered", "hotline-general", "hotline-general", 1,
                        "PJSIP/8001", 500)]
    assert agent_figures_since(calls, NOW - timedelta(hours=24)) == {
        "PJSIP/8001": {"answered": 2, "talk_seconds": 151, "average_talk": 75.5}}
