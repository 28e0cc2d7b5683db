"""AmiClient against a replaying AMI server (real loopback sockets, recorded Asterisk bytes)."""
from __future__ import annotations

import asyncio

import pytest
from ami_replay import TRACE_04, TRACE_04_TO, blocks, raw, stray_tasks

from hotline.ami import (
    AmiActionError, AmiAuthError, AmiClient, AmiClosed, AmiConnectionLost, AmiPool, AmiServer, AmiTimeout,
)
from hotline.ami.events import AmiClientReady, QueueCallerJoin

EVENTS_12 = [b for b in blocks(raw("12-ami-queue-member-lifecycle.ami1.from_asterisk.bin"))
             if b.startswith(b"Event: ") and b"ActionID" not in b]


def event_bytes(count: int) -> bytes:
    return b"".join(b + b"\r\n\r\n" for b in EVENTS_12[:count])


class Recorder:
    def __init__(self, want: int | None = None) -> None:
        self.events = []
        self.want = want
        self.done = asyncio.Event()

    def __call__(self, event) -> None:
        self.events.append(event)
        if self.want is not None and len([e for e in self.events if not _control(e)]) >= self.want:
            self.done.set()

    def names(self) -> list[str]:
        return [e.event for e in self.events]


def _control(event) -> bool:
    return (getattr(event, "event", None) or event.name) in ("AmiClientReady", "AmiClientDisconnected")


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def make_client(server, secret="s3cret", **options) -> AmiClient:
    settings = {"ping_interval": None, "action_timeout": 2.0, "backoff_initial": 0.5, "backoff_max": 8.0,
                **options.pop("cfg", {})}
    cfg = AmiServer(name=options.pop("name", "pbx1"), port=server.port, username="hotline", secret=secret,
                    **settings)
    options.setdefault("sleep", FakeSleep())
    options.setdefault("random", lambda: 1.0)
    return AmiClient(cfg, **options)


async def test_given_good_secret_when_started_then_ready_and_ping_answers(ami_server):
    client = make_client(ami_server)
    seen = Recorder()
    client.subscribe(seen, events=["Nothing"])
    async with asyncio.timeout(5):
        await client.start()
        resp = await client.send("Ping")
        await client.fanout.drain()
    assert client.ready and client.generation == 1
    assert resp.ok and resp["Ping"] == "Pong" and resp.text is None
    login = ami_server.received[0]
    assert (login["Action"], login["Username"], login["Secret"], login["Events"]) == (
        "Login", "hotline", "s3cret", "on")
    assert seen.names() == ["AmiClientReady"] and seen.events[0]["Reconnect"] == "No"
    await client.close()
    assert stray_tasks() == set()


async def test_given_wrong_secret_when_started_then_auth_error_and_no_retry(ami_server):
    client = make_client(ami_server, secret="wrong")
    with pytest.raises(AmiAuthError) as err:
        async with asyncio.timeout(5):
            await client.start()
    assert err.value.message == "Authentication failed" and err.value.error_id == "ami.auth.failed"
    assert client.connect_attempts == 1 and not client.ready
    with pytest.raises(AmiAuthError):
        await client.send("Ping", timeout=1)
    await client.close()
    assert stray_tasks() == set()


async def test_given_queue_status_when_sent_then_items_until_complete_and_not_fanned_out(ami_server):
    ami_server.use("QueueStatus", TRACE_04, TRACE_04_TO, index=0)
    client = make_client(ami_server)
    seen = Recorder()
    client.subscribe(seen)
    async with asyncio.timeout(5):
        await client.start()
        resp = await client.send("QueueStatus", Queue="mgmt")
        await client.fanout.drain()
    assert [m.event for m in resp.items][0] == "QueueParams"
    assert {m.event for m in resp.items[1:]} == {"QueueMember"}
    assert resp.complete.event == "QueueStatusComplete" and resp.reported_items == len(resp.items)
    assert resp.text == "Queue status will follow"
    assert [n for n in seen.names() if n.startswith("Queue")] == []
    await client.close()


async def test_given_queue_add_when_sent_then_single_response_completes(ami_server):
    ami_server.use("QueueAdd", TRACE_04, TRACE_04_TO, index=0)
    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start()
        resp = await client.send("QueueAdd", Queue="mgmt", Interface="Local/agent4@agents", MemberName="坐席4")
    assert resp.text == "Added interface to queue" and resp.items == ()
    assert ami_server.received[-1]["MemberName"] == "坐席4"
    await client.close()


async def test_given_error_response_then_action_error_carries_asterisk_message(ami_server):
    ami_server.use("QueueAdd", TRACE_04, TRACE_04_TO, index=1)
    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start()
        with pytest.raises(AmiActionError) as err:
            await client.send("QueueAdd", Queue="mgmt", Interface="Local/agent4@agents")
    assert err.value.message == "Unable to add interface: Already there"
    assert err.value.action == "QueueAdd" and err.value.error_id == "ami.action.error"
    await client.close()


async def test_given_no_answer_then_timeout_error_and_client_stays_usable(ami_server):
    ami_server.silent.add("queuestatus")
    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start()
        with pytest.raises(AmiTimeout) as err:
            await client.send("QueueStatus", timeout=0.05)
        assert err.value.error_id == "ami.action.timeout"
        assert (await client.send("Ping")).ok
    await client.close()


async def test_given_connection_drops_mid_action_then_lost_at_once_and_reconnects_with_hooks(ami_server):
    ami_server.silent.add("queuestatus")
    sleep = FakeSleep()
    client = make_client(ami_server, sleep=sleep)
    hooks = []

    @client.on_connected
    async def resync(session):
        hooks.append((session.generation, session.reconnect))
        await session.send("Ping")

    seen = Recorder()
    client.subscribe(seen, events=["QueueMemberAdded"])
    async with asyncio.timeout(5):
        await client.start()
        ami_server.action_seen.clear()
        pending = asyncio.create_task(client.send("QueueStatus", timeout=30))
        await ami_server.action_seen.wait()
        ami_server.drop()
        with pytest.raises(AmiConnectionLost) as err:
            await pending
        assert err.value.error_id == "ami.connection.lost"
        await client.wait_ready()
        await client.fanout.drain()
    assert hooks == [(1, False), (2, True)]
    assert client.generation == 2 and ami_server.logins == 2
    assert seen.names() == ["AmiClientReady", "AmiClientDisconnected", "AmiClientReady"]
    assert seen.events[-1]["Reconnect"] == "Yes" and seen.events[-1].generation == 2
    assert sleep.delays == [0.5]
    await client.close()
    assert stray_tasks() == set()


async def test_given_server_unreachable_then_backoff_grows_with_jitter_and_is_capped(ami_server):
    failures = 7

    async def flaky_open(host, port):
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionRefusedError("refused")
        return await asyncio.open_connection(host, port)

    sleep = FakeSleep()
    client = make_client(ami_server, sleep=sleep, open_connection=flaky_open, random=lambda: 0.0)
    async with asyncio.timeout(5):
        await client.start()
    assert sleep.delays == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]  # 50 % jitter floor, cap 8 s
    assert client.connect_attempts == 8
    await client.close()


async def test_given_malformed_and_oversize_blocks_then_reader_survives(ami_server):
    client = make_client(ami_server, cfg={"max_message_size": 4096})
    seen = Recorder(want=2)
    client.subscribe(seen, events=["QueueMemberAdded", "QueueMemberPause"])
    async with asyncio.timeout(5):
        await client.start()
        await ami_server.send_raw(b"no colon at all\r\n\r\n\xff\xfe garbage\r\n\r\n")
        await ami_server.send_raw(b"Event: Huge\r\nData: " + b"x" * 10_000 + b"\r\n\r\n")
        await ami_server.send_raw(event_bytes(len(EVENTS_12)))
        await seen.done.wait()
        assert (await client.send("Ping")).ok
    assert client.protocol_error_count == 3
    assert seen.names()[1:3] == ["QueueMemberAdded", "QueueMemberPause"]
    await client.close()


async def test_given_failing_subscriber_then_error_recorded_and_others_get_every_event(ami_server):
    client = make_client(ami_server)
    calls = []

    def broken(event):
        calls.append(event)
        raise ValueError("bug in subscriber")

    bad = client.subscribe(broken, name="broken")
    good = Recorder(want=len(EVENTS_12))
    client.subscribe(good)
    async with asyncio.timeout(5):
        await client.start()
        await ami_server.send_raw(event_bytes(len(EVENTS_12)))
        await good.done.wait()
        await client.fanout.drain()
    assert len([e for e in good.events if not _control(e)]) == len(EVENTS_12)
    assert len(calls) == len(good.events)  # the broken one kept receiving
    assert bad.errors == len(calls) and isinstance(bad.last_error, ValueError)
    assert client.subscriber_errors[-1].subscriber == "broken"
    assert client.subscriber_errors[-1].server == "pbx1"
    await client.close()


async def test_given_slow_subscriber_then_fast_one_is_not_delayed_and_overflow_drops_oldest(ami_server):
    client = make_client(ami_server)
    release = asyncio.Event()
    slow_got = []

    async def slow(event):
        slow_got.append(event.event)
        await release.wait()

    slow_sub = client.subscribe(slow, maxsize=5, events=["VarSet", "QueueMemberStatus"])
    fast = Recorder(want=len(EVENTS_12))
    client.subscribe(fast)
    async with asyncio.timeout(5):
        await client.start()
        await ami_server.send_raw(event_bytes(len(EVENTS_12)))
        await fast.done.wait()
        assert slow_got == ["AmiClientReady"]
        release.set()
        await client.fanout.drain()
    wanted = [e.event for e in fast.events if e.event in ("VarSet", "QueueMemberStatus")]
    assert slow_sub.dropped == len(wanted) - 5
    assert slow_got[1:] == wanted[-5:]
    await client.close()


async def test_given_typed_subscriber_then_it_gets_dataclasses_with_chinese_names(ami_server):
    ten = [b for b in blocks(raw("10-ami-queue-waiting-prio.ami1.from_asterisk.bin"))
           if b.startswith(b"Event: QueueCallerJoin")]
    client = make_client(ami_server)
    seen = Recorder(want=len(ten))
    client.subscribe(seen, events=["QueueCallerJoin"], typed=True)
    async with asyncio.timeout(5):
        await client.start()
        await ami_server.send_raw(b"".join(b + b"\r\n\r\n" for b in ten))
        await seen.done.wait()
    assert isinstance(seen.events[0], AmiClientReady)
    joins = seen.events[1:]
    assert all(isinstance(e, QueueCallerJoin) for e in joins)
    assert [e.channel.caller_id_name for e in joins] == ["张伟", "李娜", "王芳", "赵强"]
    assert [e.position for e in joins] == [1, 2, 1, 4] and joins[0].server == "pbx1"
    await client.close()


async def test_given_two_servers_in_a_pool_then_events_are_tagged_with_server_name(ami_server):
    from ami_replay import ReplayAmi

    other = await ReplayAmi().start()
    try:
        servers = [AmiServer(name=n, port=s.port, secret="s3cret", ping_interval=None)
                   for n, s in (("pbx-a", ami_server), ("pbx-b", other))]
        pool = AmiPool(servers, sleep=FakeSleep())
        seen = Recorder(want=2)
        pool.subscribe(seen, events=["QueueMemberAdded"])
        async with asyncio.timeout(5):
            await pool.start()
            added = next(b for b in EVENTS_12 if b.startswith(b"Event: QueueMemberAdded")) + b"\r\n\r\n"
            await ami_server.send_raw(added)
            await other.send_raw(added)
            await seen.done.wait()
            assert (await pool["pbx-b"].send("Ping")).ok
        got = sorted(e.server for e in seen.events if e.event == "QueueMemberAdded")
        assert got == ["pbx-a", "pbx-b"] and set(pool) == {"pbx-a", "pbx-b"}
        await pool.close()
    finally:
        await other.close()
    assert stray_tasks() == set()


async def test_given_closed_client_then_send_fails_fast(ami_server):
    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start()
        await client.close()
        with pytest.raises(AmiClosed):
            await client.send("Ping")
    assert ami_server.received[-1]["Action"] == "Logoff"
    assert stray_tasks() == set()


async def test_given_header_injection_attempt_then_nothing_is_sent(ami_server):
    from hotline.ami import AmiEncodeError

    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start()
        before = len(ami_server.received)
        with pytest.raises(AmiEncodeError):
            await client.send("Originate", Channel="Local/1@c", CallerID="张伟\r\nAction: Hangup")
        assert (await client.send("Ping")).ok
    assert [m["Action"] for m in ami_server.received[before:]] == ["Ping"]
    await client.close()


async def test_given_failing_resync_hook_then_not_ready_and_retried_after_backoff(ami_server):
    sleep = FakeSleep()
    client = make_client(ami_server, sleep=sleep)
    attempts = []

    @client.on_connected
    async def flaky_resync(session):
        attempts.append(session.generation)
        if len(attempts) == 1:
            raise RuntimeError("resync failed")

    async with asyncio.timeout(5):
        await client.start()
    assert attempts == [1, 2] and client.generation == 2  # every login is a new generation
    assert isinstance(client.hook_errors[0], RuntimeError) and sleep.delays == [0.5]
    assert ami_server.logins == 2
    await client.close()
    assert stray_tasks() == set()


async def test_given_peer_that_is_not_ami_then_connect_fails_and_is_retried():
    async def not_ami(reader, writer):
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(not_ami, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    delays = []
    retried_twice = asyncio.Event()

    async def sleep(delay):
        delays.append(delay)
        if len(delays) == 2:
            retried_twice.set()
        await asyncio.sleep(0)

    client = AmiClient(AmiServer(name="web", port=port, ping_interval=None, login_timeout=1), sleep=sleep,
                       random=lambda: 1.0)
    try:
        await client.start(wait=False)
        async with asyncio.timeout(5):
            await retried_twice.wait()
        assert not client.ready and delays[:2] == [0.5, 1.0]
    finally:
        await client.close()
        server.close()
        await server.wait_closed()
    assert stray_tasks() == set()


async def test_given_send_before_ready_then_it_waits_for_login_and_succeeds(ami_server):
    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start(wait=False)
        resp = await client.send("Ping")
    assert resp.ok and [m["Action"] for m in ami_server.received] == ["Login", "Ping"]
    await client.close()


async def test_given_silent_half_open_connection_then_keepalive_replaces_it(ami_server):
    ami_server.silent.add("ping")
    client = make_client(ami_server, cfg={"ping_interval": 15.0, "action_timeout": 0.05})
    seen = Recorder()
    reconnected = asyncio.Event()
    client.subscribe(lambda e: e["Reconnect"] == "Yes" and reconnected.set(), events=["Nothing"], inline=True)
    client.subscribe(seen, events=["Nothing"])
    async with asyncio.timeout(5):
        await client.start()
        await reconnected.wait()
    assert client.generation >= 2 and ami_server.logins >= 2
    await client.close()
    assert stray_tasks() == set()


async def test_given_unexpected_error_while_connecting_then_it_is_logged_and_retried(ami_server):
    calls = []

    async def buggy_open(host, port):
        calls.append(host)
        if len(calls) == 1:
            raise ValueError("bug in a custom connector")
        return await asyncio.open_connection(host, port)

    client = make_client(ami_server, open_connection=buggy_open)
    async with asyncio.timeout(5):
        await client.start()
    assert len(calls) == 2 and client.ready
    await client.close()
    assert stray_tasks() == set()
