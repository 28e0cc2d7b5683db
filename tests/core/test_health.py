"""The health registry: the worst check decides; a broken or hanging check reads as down, never a crash."""
from __future__ import annotations

import asyncio

import pytest

from hotline.health import Check, HealthChecks


async def test_given_checks_then_the_status_is_the_worst_and_details_name_each():
    health = HealthChecks()
    health.register("database", lambda: Check("ok", {"dialect": "sqlite"}))
    assert (await health.report()).status == "ok"

    async def prompts():
        return Check("degraded", {"missing": 3})
    health.register("prompts", prompts)
    report = await health.report()
    assert report.status == "degraded"
    assert report.details() == {"status": "degraded", "checks": {
        "database": {"status": "ok", "dialect": "sqlite"}, "prompts": {"status": "degraded", "missing": 3}}}
    with pytest.raises(ValueError, match="already registered"):
        health.register("prompts", prompts)


async def test_given_a_check_that_raises_or_hangs_then_it_is_down_and_the_others_still_report():
    health = HealthChecks(timeout=0.05)

    def broken():
        raise ConnectionRefusedError("secret host 10.0.0.5")

    async def hangs():
        await asyncio.sleep(10)
    health.register("ami", broken)
    health.register("queue_log", hangs)
    health.register("database", lambda: Check("ok"))
    report = await health.report()
    assert report.status == "down"
    assert report.checks["ami"] == Check("down", {"error": "ConnectionRefusedError"})
    assert report.checks["queue_log"].status == "down" and report.checks["database"].status == "ok"


async def test_given_a_flood_of_probes_then_the_database_is_checked_once_per_second_and_a_change_shows_after_it():
    """The public /healthz (bench/citizen_intake: 500 probes/s exhausted the PostgreSQL pool)."""
    now = [100.0]
    health = HealthChecks(clock=lambda: now[0])
    runs, state = [], ["ok"]

    async def database():
        runs.append(now[0])
        await asyncio.sleep(0.01)
        return Check(state[0])
    health.register("database", database)
    reports = await asyncio.gather(*(health.recent() for _ in range(200)))
    assert {r.status for r in reports} == {"ok"} and len(runs) == 1       # 200 probes, one check
    state[0] = "down"
    now[0] += 0.5
    assert (await health.recent()).status == "ok" and len(runs) == 1       # within the second: the last answer
    now[0] += 0.6
    assert (await health.recent()).status == "down" and len(runs) == 2     # then the database is asked again
    assert (await health.report()).status == "down" and len(runs) == 3     # staff's details are always fresh
