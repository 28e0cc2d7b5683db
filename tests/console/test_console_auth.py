"""Login rate limits, server-side sessions and the audit log (sessions/audit on SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from agent_console.accounts.service import AccountError, AccountService
from agent_console.audit.models import AuditEntry
from agent_console.audit.service import Actor, AuditError, AuditLog
from agent_console.auth.models import ConsoleSession
from agent_console.auth.ratelimit import LoginLimiter, LoginLimits, LoginThrottled
from agent_console.auth.sessions import SessionStore, _aware
from console_support import PASSWORD, create_schema
from hotline.db import Base, make_engine, make_sessionmaker

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# --- rate limiting ---------------------------------------------------------------------------

def _fail(limiter: LoginLimiter, username: str, ip: str) -> None:
    limiter.reserve(username, ip).failed()


def test_given_n_failures_from_one_address_when_trying_again_then_the_delay_doubles_for_that_address_only():
    clock = Clock()
    limits = LoginLimits(per_user_address=3, base_delay_seconds=30, max_delay_seconds=100, per_ip=100)
    limiter = LoginLimiter(clock, limits)
    for _ in range(3):
        _fail(limiter, "agent01", "10.0.0.1")
    with pytest.raises(LoginThrottled) as caught:
        limiter.reserve("AGENT01", "10.0.0.1")  # any spelling of the name
    assert caught.value.retry_after == 30 and caught.value.error_id == "console.login.throttled"
    limiter.reserve("agent01", "10.0.0.9").succeeded()  # the same person elsewhere is not locked out by a stranger
    limiter.reserve("agent02", "10.0.0.1").succeeded()  # nor another account
    clock.advance(30)
    _fail(limiter, "agent01", "10.0.0.1")  # one probe after the delay, wrong again: the delay doubles
    with pytest.raises(LoginThrottled) as caught:
        limiter.reserve("agent01", "10.0.0.1")
    assert caught.value.retry_after == 60
    clock.advance(60)
    _fail(limiter, "agent01", "10.0.0.1")
    with pytest.raises(LoginThrottled) as caught:
        limiter.reserve("agent01", "10.0.0.1")
    assert caught.value.retry_after == 100  # capped
    clock.advance(100)
    limiter.reserve("agent01", "10.0.0.1").succeeded()
    limiter.reserve("agent01", "10.0.0.1").succeeded()  # a success starts the count again


def test_given_40_parallel_attempts_when_reserved_before_any_settles_then_only_the_free_ones_pass():
    limiter = LoginLimiter(Clock(), LoginLimits(per_user_address=5, per_ip=100))
    passed, refused = [], 0
    for _ in range(40):
        try:
            passed.append(limiter.reserve("agent01", "10.0.0.1"))
        except LoginThrottled:
            refused += 1
    assert (len(passed), refused) == (5, 35)
    for attempt in passed:
        attempt.failed()
    with pytest.raises(LoginThrottled):
        limiter.reserve("agent01", "10.0.0.1")


def test_given_a_busy_server_when_an_attempt_is_cancelled_then_it_does_not_count():
    limiter = LoginLimiter(Clock(), LoginLimits(per_user_address=1, per_ip=100))
    limiter.reserve("agent01", "ip").cancelled()
    limiter.reserve("agent01", "ip").failed()
    with pytest.raises(LoginThrottled):
        limiter.reserve("agent01", "ip")


def test_given_many_usernames_from_one_address_when_guessing_then_the_address_is_throttled():
    limiter = LoginLimiter(Clock(), LoginLimits(per_user_address=100, per_ip=4, window_seconds=60))
    for n in range(4):
        _fail(limiter, f"user{n}", "10.0.0.7")
    with pytest.raises(LoginThrottled):
        limiter.reserve("someone-new", "10.0.0.7")
    limiter.reserve("someone-new", "10.0.0.8")


def test_given_a_locked_user_when_an_admin_unlocks_then_every_address_may_try_again():
    limiter = LoginLimiter(Clock(), LoginLimits(per_user_address=2, per_ip=100))
    for ip in ("10.0.0.1", "10.0.0.2"):
        for _ in range(2):
            _fail(limiter, "agent01", ip)
    assert sorted((lock.username, lock.address) for lock in limiter.lockouts()) == [
        ("agent01", "10.0.0.1"), ("agent01", "10.0.0.2")]
    assert limiter.unlock("Agent01") == 2
    assert limiter.lockouts() == []
    limiter.reserve("agent01", "10.0.0.1").succeeded()


def test_given_a_flood_of_distinct_names_when_failing_then_memory_stays_bounded():
    limiter = LoginLimiter(Clock(), LoginLimits(max_tracked=50))
    for n in range(1000):
        _fail(limiter, f"u{n}", f"10.0.{n // 250}.{n % 250}")
    assert limiter.tracked() <= 100  # 50 user+address pairs, 50 addresses
    limiter.reset()
    assert limiter.tracked() == 0


# --- sessions and audit on both databases -----------------------------------------------------

@pytest.fixture
async def store(database_url):
    engine = make_engine(database_url)
    async with engine.begin() as conn:  # the PostgreSQL database is shared by the session's tests
        await conn.run_sync(Base.metadata.drop_all)
    await create_schema(database_url)
    sessions = make_sessionmaker(engine)
    accounts = AccountService(sessions, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    clock = Clock()
    yield SessionStore(sessions, clock, key="k" * 32, max_age=3600), accounts, clock, sessions
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
    await engine.dispose()


async def test_given_a_login_when_the_cookie_comes_back_then_the_session_has_the_user_and_a_csrf_token(store):
    sessions, accounts, clock, db = store
    user = await accounts.add_user("agent01", PASSWORD, ["agent", "supervisor"], "坐席01", "PJSIP/8001")
    token, created = await sessions.create(user, "127.0.0.1")
    live = await sessions.load(token)
    assert live.user.username == "agent01" and live.roles == {"agent", "supervisor"}
    assert live.user.phone_interface == "PJSIP/8001"
    assert live.csrf_token == created.csrf_token and len(live.csrf_token) >= 40
    async with db() as s:
        stored = list(await s.scalars(select(ConsoleSession.id)))
    assert stored != [token] and len(stored) == 1  # only a keyed hash is kept


async def test_given_an_expired_session_when_loaded_then_it_is_gone(store):
    sessions, accounts, clock, db = store
    user = await accounts.add_user("agent01", PASSWORD, ["agent"])
    token, _ = await sessions.create(user)
    clock.advance(3599)
    assert await sessions.load(token) is not None
    clock.advance(1)
    assert await sessions.load(token) is None
    async with db() as s:
        assert list(await s.scalars(select(ConsoleSession))) == []


@pytest.mark.parametrize("token", [None, "", "not-a-session", "x" * 5000, "ü\x00"])
async def test_given_a_forged_or_odd_cookie_when_loaded_then_no_session(store, token):
    sessions, accounts, *_ = store
    await sessions.create(await accounts.add_user("agent01", PASSWORD, ["agent"]))
    assert await sessions.load(token) is None


async def test_given_logout_or_a_disabled_account_when_the_old_cookie_returns_then_it_is_refused(store):
    sessions, accounts, clock, db = store
    user = await accounts.add_user("agent01", PASSWORD, ["agent"])
    first, _ = await sessions.create(user)
    second, _ = await sessions.create(user)
    third, _ = await sessions.create(user)
    await sessions.destroy(first)
    assert await sessions.load(first) is None and await sessions.load(second) is not None
    assert await sessions.destroy_user(user.id) == 2
    assert await sessions.load(third) is None
    fourth, _ = await sessions.create(user)
    async with db() as s, s.begin():
        (await s.get(type(user), user.id)).active = False
    assert await sessions.load(fourth) is None


async def test_given_old_sessions_when_purged_then_only_live_ones_stay(store):
    sessions, accounts, clock, _ = store
    user = await accounts.add_user("agent01", PASSWORD, ["agent"])
    old, _ = await sessions.create(user)
    clock.advance(3000)
    fresh, _ = await sessions.create(user)
    clock.advance(700)
    assert await sessions.purge_expired() == 1
    assert await sessions.load(fresh) is not None


async def test_given_views_of_sensitive_data_when_recorded_then_the_log_says_who_what_when_where(store):
    _, accounts, clock, db = store
    audit = AuditLog(db, clock)
    await audit.record(Actor(7, "agent01", "10.1.2.3"), "view.caller_number", "call 1732000000.42")
    clock.advance(5)
    await audit.record(Actor(None, "", "10.1.2.4"), "login", "x" * 300, "failed")
    rows = await audit.recent(10)
    assert [(r.username, r.action, r.result, r.ip) for r in rows] == [
        ("", "login", "failed", "10.1.2.4"), ("agent01", "view.caller_number", "ok", "10.1.2.3")]
    assert rows[1].target == "call 1732000000.42" and len(rows[0].target) == 256
    assert _aware(rows[1].at) == T0
    assert [r.action for r in await audit.recent(10, username="agent01")] == ["view.caller_number"]
    async with db() as s:
        assert len(list(await s.scalars(select(AuditEntry)))) == 2


@pytest.mark.parametrize("action, result", [("", "ok"), ("a" * 65, "ok"), ("login", "maybe")])
async def test_given_a_malformed_audit_entry_when_recorded_then_refused(store, action, result):
    _, _, clock, db = store
    with pytest.raises(AuditError):
        await AuditLog(db, clock).record(Actor(None, "", ""), action, "", result)


@pytest.mark.parametrize("phone", ["8001", "PJSIP/", "PJSIP/80 01", "PJSIP/8001\r\nAction: Hangup", "/8001"])
async def test_given_a_malformed_phone_interface_when_binding_then_refused(store, phone):
    _, accounts, *_ = store
    with pytest.raises(AccountError):
        await accounts.add_user("agent01", PASSWORD, ["agent"], phone_interface=phone)
    await accounts.add_user("agent01", PASSWORD, ["agent"])
    with pytest.raises(AccountError):
        await accounts.set_phone_interface("agent01", phone)


async def test_given_an_agent_when_binding_and_unbinding_a_phone_then_it_is_stored(store):
    _, accounts, *_ = store
    user = await accounts.add_user("agent01", PASSWORD, ["agent"])
    assert user.phone_interface is None
    await accounts.set_phone_interface("agent01", "PJSIP/8001")
    assert (await accounts.get(user.id)).phone_interface == "PJSIP/8001"
    await accounts.set_phone_interface("agent01", None)
    assert (await accounts.get(user.id)).phone_interface is None
    with pytest.raises(AccountError):
        await accounts.set_phone_interface("ghost", "PJSIP/8001")


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        self.verified += 1
        return super().verify(hash, password)


async def test_given_an_unknown_username_when_logging_in_then_a_hash_is_still_checked(store):
    _, _, _, db = store
    hasher = CountingHasher()
    accounts = AccountService(db, hasher=hasher)
    await accounts.add_user("agent01", PASSWORD, ["agent"])
    assert await accounts.authenticate("ghost", PASSWORD) is None
    assert await accounts.authenticate("agent01", "wrong-password") is None
    assert (await accounts.authenticate("agent01", PASSWORD)).username == "agent01"
    assert hasher.verified == 3  # the same work whether or not the name exists


async def test_given_sessions_when_asked_which_stand_then_idle_expired_and_disabled_ones_are_not(store):
    sessions, accounts, clock, _ = store
    store_idle = SessionStore(sessions._sessions, clock, key="k" * 32, max_age=3600, idle_timeout=600)  # noqa: SLF001
    active = await accounts.add_user("agent01", PASSWORD, ["agent"])
    other = await accounts.add_user("agent02", PASSWORD, ["agent"])
    token_a, _ = await store_idle.create(active)
    token_b, _ = await store_idle.create(active)
    token_c, _ = await store_idle.create(other)
    ids = {store_idle.session_id(t) for t in (token_a, token_b, token_c)}
    assert await store_idle.alive(ids) == ids
    clock.advance(500)
    assert await store_idle.load(token_a) is not None  # a request: token_a is no longer idle
    await accounts.set_active("agent02", False)
    clock.advance(200)  # token_b has had no request for 700 s
    assert await store_idle.alive(ids) == {store_idle.session_id(token_a)}
    clock.advance(3600)
    assert await store_idle.alive(ids) == set()  # past the absolute lifetime, active or not
