"""Login abuse (issue 11, finding 3): parallel guesses are counted before the password is checked,
lock-outs are per user and address with a growing delay, an admin unlocks in the console, and
password checks run in a bounded pool that answers 429 beyond its bound."""
from __future__ import annotations

import asyncio
import re
import time

import pytest
from argon2 import PasswordHasher

from agent_console.accounts.hashing import HashingBusy, HashPool, owasp_hasher
from agent_console.context import CONSOLE
from console_support import PASSWORD, MovableClock, SharedClient, csrf_of, login, make_config, running_console
from hotline.engine import ENGINE

JSON = {"Accept": "application/json"}
PROXY = {"console": {"trusted_proxies": ["127.0.0.1"]}}


def _config(tmp_path, extra=None):
    config = make_config(tmp_path)
    if extra:
        console = config.console.model_copy(update=extra["console"])
        config = config.model_copy(update={"console": console})
    return config


@pytest.fixture
async def console(tmp_path):
    clock = MovableClock()
    async with running_console(_config(tmp_path, PROXY), clock) as (app, client):
        yield app, client, clock


class Counting:
    """Counts the password checks that really ran (wraps the pool's verify)."""

    def __init__(self, pool: HashPool) -> None:
        self.verified, self._verify = 0, pool.verify
        pool.verify = self

    async def __call__(self, stored: str, password: str) -> bool:
        self.verified += 1
        return await self._verify(stored, password)


async def _post_login(client, username: str, password: str, token: str, **headers):
    return await client.post("/login", data={"username": username, "password": password, "login_token": token},
                             headers=headers, allow_redirects=False)


async def _attempt(client, username: str, password: str, **headers):
    """One login as the browser makes it: a fresh form (its token), then the post."""
    return await _post_login(client, username, password, await _token(client), **headers)


async def _token(client) -> str:
    return re.search(r'name="login_token" value="([^"]+)"', await (await client.get("/login")).text()).group(1)


async def test_given_40_parallel_wrong_passwords_then_at_most_5_are_verified_and_the_rest_get_429_in_chinese(console):
    app, client, _ = console
    counting = Counting(app[ENGINE].services["accounts"].pool)
    token = await _token(client)
    responses = await asyncio.gather(*(_post_login(client, "agent01", f"wrong-guess-{n}", token) for n in range(40)))
    statuses = [r.status for r in responses]
    assert counting.verified <= 5
    assert statuses.count(401) == counting.verified and statuses.count(429) == 40 - counting.verified
    throttled = next(r for r in responses if r.status == 429)
    assert "登录失败次数过多，请 30 秒后再试" in await throttled.text() and throttled.headers["Retry-After"] == "30"


async def test_given_an_attacker_locked_out_elsewhere_then_the_user_still_logs_in_from_their_own_address(console):
    app, client, clock = console
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for n in range(5):
        assert (await _attempt(client, "agent01", f"guess-{n}", **attacker)).status == 401
    assert (await _attempt(client, "agent01", PASSWORD, **attacker)).status == 429  # even the right one
    own = SharedClient(client)  # the real agent01, another browser at another address
    try:
        mine = await _attempt(own, "agent01", PASSWORD, **{"X-Forwarded-For": "198.51.100.7"})
        assert mine.status == 302  # no flat lock of the account for everyone
    finally:
        await own.close()
    clock.advance(31)  # the attacker's delay has passed: one more guess, then the delay doubles
    assert (await _attempt(client, "agent01", "guess-6", **attacker)).status == 401
    clock.advance(31)
    again = await _attempt(client, "agent01", "guess-7", **attacker)
    assert again.status == 429 and again.headers["Retry-After"] == "29"


async def test_given_a_forwarded_for_from_an_untrusted_peer_then_it_is_ignored(tmp_path):
    async with running_console(_config(tmp_path), MovableClock()) as (app, client):
        for n in range(5):  # each claims another address; all count against the real peer
            assert (await _attempt(client, "agent01", f"guess-{n}",
                                   **{"X-Forwarded-For": f"198.51.100.{n}"})).status == 401
        assert (await _attempt(client, "agent01", PASSWORD,
                               **{"X-Forwarded-For": "198.51.100.99"})).status == 429


async def test_given_a_locked_out_user_when_an_admin_unlocks_on_the_users_page_then_they_log_in_and_it_is_audited(
        console):
    app, client, _ = console
    for n in range(5):
        await _attempt(client, "agent02", f"guess-{n}")
    assert (await _attempt(client, "agent02", PASSWORD)).status == 429
    admin = SharedClient(client)
    try:
        await login(admin, "boss")
        page = await (await admin.get("/admin/users")).text()
        assert 'data-locked="agent02"' in page and "127.0.0.1" in page and "解除锁定" in page
        refused = await admin.post("/admin/users/agent02/unlock", headers=JSON)  # no CSRF token
        assert refused.status == 403
        assert (await _attempt(client, "agent02", PASSWORD)).status == 429
        headers = {**JSON, "X-CSRF-Token": await csrf_of(admin)}
        done = await admin.post("/admin/users/agent02/unlock", headers=headers)
        assert done.status == 200 and (await done.json())["message"] == "已解除 agent02 的登录锁定"
        entry = (await app[CONSOLE].audit.recent(1))[0]
        assert (entry.username, entry.action, entry.target, entry.result) == (
            "boss", "admin.user.unlock", "agent02 (1 addresses)", "ok")
        assert (await _attempt(client, "agent02", PASSWORD)).status == 302
        assert "当前没有被锁定的登录" in await (await admin.get("/admin/users")).text()
    finally:
        await admin.close()


class SlowHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        time.sleep(0.3)
        return super().verify(hash, password)


async def test_given_more_logins_than_the_pool_takes_then_the_overflow_gets_429_in_chinese_and_is_not_counted(
        console):
    app, client, _ = console
    accounts = app[ENGINE].services["accounts"]
    stored = (await accounts.get_by_name("agent01")).password_hash
    accounts.pool = HashPool(SlowHasher(), workers=1, wait_seconds=0.1, processes=False)
    accounts._dummy = stored  # noqa: SLF001 - unknown names are checked against a real-looking hash
    token = await _token(client)  # one form, posted four times at once
    responses = await asyncio.gather(*(_post_login(client, name, "wrong-password", token)
                                       for name in ("agent01", "agent02", "nophone", "boss")))
    statuses = sorted(r.status for r in responses)
    assert statuses == [401, 429, 429, 429]
    busy = next(r for r in responses if r.status == 429)
    assert "轮候登录人数过多，请稍后再试" in await busy.text() and busy.headers["Retry-After"] == "5"
    assert accounts.pool.refused == 3 and accounts.pool.running == 0
    audit = [(e.target, e.result) for e in await app[CONSOLE].audit.recent(4)]
    assert audit.count(("busy", "denied")) == 3
    assert await app[CONSOLE].limiter.lockouts() == []  # refused-as-busy attempts never counted as failures


async def test_given_the_pool_when_hashing_then_argon2id_uses_owasp_parameters_off_the_event_loop():
    pool = HashPool(workers=1, wait_seconds=5)
    assert pool.hasher is not None and isinstance(owasp_hasher(), PasswordHasher)
    digest = await pool.hash("correct-horse-12")
    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    loop = asyncio.get_running_loop()
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.002)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = loop.time()
    assert await pool.verify(digest, "correct-horse-12")
    took = loop.time() - started
    task.cancel()
    assert ticks >= max(1, int(took / 0.002) // 4)  # the loop kept running while argon2 worked
    with pytest.raises(HashingBusy):
        busy = HashPool(SlowHasher(), workers=1, wait_seconds=0.05, processes=False)
        await asyncio.gather(busy.verify(digest, "x"), busy.verify(digest, "y"))
    pool.close()


async def test_given_a_full_login_gate_then_extra_waiters_are_refused_at_once_and_a_waiter_after_its_wait():
    from agent_console.auth.gate import LoginBusy, LoginGate

    gate = LoginGate(limit=1, wait_seconds=0.2, max_waiting=1)
    inside, release = asyncio.Event(), asyncio.Event()

    async def holder():
        async with gate.admitted():
            inside.set()
            await release.wait()

    async def waiter():
        async with gate.admitted():
            return "in"

    task = asyncio.create_task(holder())
    await inside.wait()
    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(LoginBusy):  # one already waits: refused without waiting
        async with gate.admitted():
            pass
    assert loop.time() - started < 0.05
    with pytest.raises(LoginBusy):  # the waiter's 0.2 s pass while the holder stays
        await waiting
    release.set()
    await task
    assert await waiter() == "in" and gate.refused == 2


async def test_given_the_gate_is_full_when_logging_in_then_a_cheap_429_in_chinese_and_one_audit_row(console):
    from agent_console.auth.gate import LoginGate

    app, client, _ = console
    token = await _token(client)
    app[CONSOLE].login_gate = gate = LoginGate(limit=1, wait_seconds=0.05, max_waiting=0)
    async with gate.admitted():  # someone else's login holds the only slot
        refused = [await _post_login(client, "agent01", PASSWORD, token) for _ in range(3)]
    assert {r.status for r in refused} == {429}
    assert "轮候登录人数过多，请稍后再试" in await refused[0].text() and refused[0].headers["Retry-After"] == "5"
    busy = [e for e in await app[CONSOLE].audit.recent(5) if e.target.startswith("busy")]
    assert [(e.target, e.result) for e in busy] == [("busy x1", "denied")]  # aggregated, not one per refusal
    assert (await _post_login(client, "agent01", PASSWORD, token)).status == 302
