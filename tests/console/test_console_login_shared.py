"""Issue 11.3, the open points: the login limiter counts across engine processes (its state in
the database), and a login flood hashes in niced worker processes, never in the engine's, while
logins still work and the excess gets 429."""
from __future__ import annotations

import asyncio
import os
import re

import psutil
import pytest
from sqlalchemy import update

from agent_console.accounts.hashing import WORKER_NICE, HashPool, owasp_hasher
from agent_console.accounts.models import User
from agent_console.auth.ratelimit import LoginLimits, LoginThrottled
from agent_console.auth.shared_limits import SharedLoginLimiter
from agent_console.context import CONSOLE
from console_support import PASSWORD, MovableClock, create_schema, make_config, running_console
from hotline.db import make_engine, make_sessionmaker
from hotline.engine import ENGINE

MB = 1024 * 1024


async def _two_engines(url: str, clock: MovableClock):
    """Two limiters with their own database engines on one database: two engine processes."""
    await create_schema(url)
    dbs = [make_engine(url), make_engine(url)]
    makers = [make_sessionmaker(db) for db in dbs]
    limits = LoginLimits()
    return dbs, [SharedLoginLimiter(lambda m=m: m, clock, limits) for m in makers]


async def _fail(limiter: SharedLoginLimiter, username: str, ip: str) -> None:
    attempt = limiter.reserve(username, ip)
    await attempt.confirm()
    await attempt.failed()


async def test_given_two_limiters_on_one_database_then_a_user_locked_through_one_is_locked_in_both(
        fresh_database_url):
    clock = MovableClock()
    dbs, (one, two) = await _two_engines(fresh_database_url, clock)
    try:
        for _ in range(3):
            await _fail(one, "agent01", "203.0.113.9")
        for _ in range(2):
            await _fail(two, "Agent01", "203.0.113.9")  # any spelling of the name
        for limiter in (one, two):  # five failures in all: both engines make the guesser wait
            with pytest.raises(LoginThrottled) as throttled:
                await limiter.reserve("agent01", "203.0.113.9").confirm()
            assert 29 <= throttled.value.retry_after <= 30
        own = two.reserve("agent01", "198.51.100.7")  # the person at their own address is not locked out
        await own.confirm()
        await own.succeeded()
        assert [(lock.username, lock.address, lock.failures) for lock in await one.lockouts()] == [
            ("agent01", "203.0.113.9", 5)]
        assert await two.unlock("agent01") == 1  # an admin on the other engine unlocks: it reaches this one
        assert await one.lockouts() == []
        attempt = one.reserve("agent01", "203.0.113.9")
        await attempt.confirm()
        await attempt.cancelled()
    finally:
        for db in dbs:
            await db.dispose()


async def test_given_parallel_guesses_spread_over_two_engines_then_at_most_five_get_through(fresh_database_url):
    clock = MovableClock()
    dbs, limiters = await _two_engines(fresh_database_url, clock)
    try:
        attempts = [limiters[n % 2].reserve("agent02", "203.0.113.5") for n in range(10)]  # 5 each: every local pass

        async def confirm(attempt) -> bool:
            try:
                await attempt.confirm()
            except LoginThrottled:
                return False
            return True

        through = await asyncio.gather(*(confirm(a) for a in attempts))
        assert sum(through) == 5  # the other five were counted against the same five in flight
        for attempt, ok in zip(attempts, through, strict=True):
            if ok:
                await attempt.failed()
        with pytest.raises(LoginThrottled):
            await limiters[0].reserve("agent02", "203.0.113.5").confirm()
    finally:
        for db in dbs:
            await db.dispose()


async def _token(client) -> str:
    return re.search(r'name="login_token" value="([^"]+)"', await (await client.get("/login")).text()).group(1)


async def test_given_a_locked_user_in_the_console_then_another_engine_on_its_database_refuses_it_too(tmp_path):
    config = make_config(tmp_path)
    async with running_console(config, MovableClock()) as (app, client):
        for n in range(5):
            token = await _token(client)
            wrong = await client.post("/login", data={"username": "agent02", "password": f"guess-{n}",
                                                      "login_token": token}, allow_redirects=False)
            assert wrong.status == 401
        db = make_engine(config.database_url)
        other = SharedLoginLimiter(lambda: make_sessionmaker(db), lambda: app[ENGINE].clock())
        try:
            with pytest.raises(LoginThrottled):
                await other.reserve("agent02", "127.0.0.1").confirm()
            assert await other.unlock("agent02") == 1
            token = await _token(client)  # unlocked on the other engine: this console lets agent02 in
            ok = await client.post("/login", data={"username": "agent02", "password": PASSWORD,
                                                   "login_token": token}, allow_redirects=False)
            assert ok.status == 302
        finally:
            await db.dispose()


async def test_given_60_parallel_logins_then_hashing_runs_niced_outside_the_engine_and_logins_still_work(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        accounts = app[ENGINE].services["accounts"]
        accounts.pool = pool = HashPool(workers=1, wait_seconds=2)  # as the engine ships: OWASP, a process
        try:
            real = await pool.hash(PASSWORD)  # real OWASP cost for every account
            async with app[ENGINE].sessions() as session, session.begin():
                await session.execute(update(User).values(password_hash=real))
            (worker,) = await pool.worker_pids()
            assert worker != os.getpid() and psutil.Process(worker).nice() == WORKER_NICE
            engine_rss = psutil.Process().memory_info().rss
            names = ["agent01", "agent02", "nophone", "boss"]
            token = await _token(client)
            responses = await asyncio.gather(*(
                client.post("/login", data={"username": names[n % 4], "password": PASSWORD, "login_token": token},
                            allow_redirects=False) for n in range(60)))
            statuses = [r.status for r in responses]
            assert set(statuses) <= {302, 429} and statuses.count(302) >= 1
            # beyond the login queue (4 at work + 8 waiting) or five in flight per user and address: refused
            # at once, by the queue ("轮候登录人数过多") or the limiter ("登录失败次数过多")
            assert statuses.count(429) >= 40
            refusals = [await r.text() for r in responses if r.status == 429]
            assert all("登录失败次数过多" in text or "轮候登录人数过多" in text for text in refusals)
            assert psutil.Process().memory_info().rss - engine_rss < 40 * MB  # argon2's memory is the worker's
            assert await app[CONSOLE].limiter.lockouts() == []  # right passwords: nothing counted as failed
            client.session.cookie_jar.clear()  # signed in by the flood: a fresh browser
            token = await _token(client)
            after = await client.post("/login", data={"username": "agent01", "password": PASSWORD,
                                                      "login_token": token}, allow_redirects=False)
            assert after.status == 302  # the flood over, a login works at once
        finally:
            pool.close()
        assert real.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and owasp_hasher().verify(real, PASSWORD)
