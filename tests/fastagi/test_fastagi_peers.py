"""Issue 11.5: FastAGI answers Asterisk's addresses only; anyone else is closed unanswered, logged, counted."""
from __future__ import annotations

import asyncio
import logging

import pytest
from fastagi_support import env_block

from ivr.fastagi import AgiServer, Limits
from ivr.fastagi.peers import PeerAllowlist, parse_networks


async def _call(port: int, local: str) -> bytes:
    """Connect from `local` like Asterisk would, send a full agi_* block, answer every command with
    success; return everything the server sent until it closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))
    received = b""
    try:
        writer.write(env_block("ivr", callerid="13800138000"))
        await writer.drain()
        async with asyncio.timeout(3):
            while line := await reader.readline():
                received += line
                writer.write(b"200 result=1\n")
                await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
    return received


async def test_given_an_allowlist_without_the_peer_when_it_sends_an_agi_block_then_closed_unanswered(caplog):
    answered = []

    async def ivr(session):
        answered.append(session.env.callerid)
        await session.set_variable("HOTLINE_ACTION", "queue")

    server = AgiServer({"ivr": ivr}, port=0, limits=Limits(header_timeout=1),
                       allowed_peers=PeerAllowlist.of(["127.0.0.2"]), logger=logging.getLogger("test.peers"))
    async with server:
        refused = await _call(server.port, "127.0.0.1")
        allowed = await _call(server.port, "127.0.0.2")
    assert refused == b"" and b"SET VARIABLE HOTLINE_ACTION" in allowed.upper()
    assert answered == ["13800138000"]  # only the allowed peer got a routing decision
    assert server.status().refused_peers == 1 and server.status().accepted == 1
    assert "fastagi refused 127.0.0.1: not in [agi] allowed_peers" in caplog.text


async def test_given_the_default_server_when_asterisk_on_loopback_connects_then_served():
    answered = []

    async def ivr(session):
        answered.append(session.env.callerid)

    async with AgiServer({"ivr": ivr}, port=0) as server:
        await _call(server.port, "127.0.0.1")
    assert answered == ["13800138000"] and server.status().refused_peers == 0


@pytest.mark.parametrize("peer, allowed", [
    (("10.0.0.5", 40000), True), (("10.0.1.5", 40000), False), (("::ffff:10.0.0.5", 1, 0, 0), True),
    (("fd00::7", 1, 0, 0), True), (("fd00::8", 1, 0, 0), False), ("/run/agi.sock", False), (None, False),
])
def test_given_networks_when_a_peer_is_checked_then_only_members_pass(peer, allowed):
    assert PeerAllowlist.of(["10.0.0.0/24", "fd00::7"]).allows(peer) is allowed


@pytest.mark.parametrize("entry", ["asterisk.local", "10.0.0.5/8", "10.0.0.0/33", ""])
def test_given_a_bad_entry_then_the_error_names_it(entry):
    with pytest.raises(ValueError, match="is not an IP address or CIDR network"):
        parse_networks([entry])


async def _knock(port: int) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.read()  # the server aborts at once
        writer.close()
    except ConnectionError:
        pass


async def test_given_a_flood_from_a_refused_peer_then_a_bounded_number_of_log_lines_with_the_count(caplog):
    caplog.set_level(logging.WARNING, logger="test.flood")
    server = AgiServer({}, port=0, allowed_peers=PeerAllowlist.of(["127.0.0.2"]),
                       logger=logging.getLogger("test.flood"))
    async with server:
        for _ in range(10):
            await asyncio.gather(*(_knock(server.port) for _ in range(30)))
    lines = [r.getMessage() for r in caplog.records if r.name == "test.flood" and "refused" in r.getMessage()]
    assert server.status().refused_peers == 300
    assert len(lines) == 2, lines  # the first refusal, then one count written when the server closed
    assert lines[0].startswith("fastagi refused 127.0.0.1: not in [agi] allowed_peers")
    assert "127.0.0.1 299 more times" in lines[1]


def test_given_refusals_over_several_intervals_then_one_line_per_peer_per_interval(caplog):
    from ivr.fastagi.refusals import OTHERS, RefusalLog

    now = [0.0]
    log = RefusalLog(logging.getLogger("test.intervals"), lambda: "127.0.0.2/32", interval=60,
                     max_hosts=2, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="test.intervals")
    for second in range(0, 181):  # three minutes, ten refusals a second from two peers
        now[0] = float(second)
        for _ in range(10):
            log.refused(("10.0.0.9", 40000 + second))
            log.refused(("10.0.0.8", 50000))
    for host in ("10.0.0.7", "10.0.0.6", "10.0.0.5"):  # beyond max_hosts: summed, not tracked apart
        log.refused((host, 1))
    lines = [r.getMessage() for r in caplog.records]
    assert len([m for m in lines if "10.0.0.9" in m]) == 4  # first, then at 60 s, 120 s, 180 s
    assert lines.count("fastagi refused 10.0.0.9 600 more times in the last 60 s (not in [agi] allowed_peers)") == 3
    assert len([m for m in lines if OTHERS in m]) == 1 and log.tracked() == 3
    assert not [m for m in lines if "10.0.0.7" in m or "10.0.0.6" in m]
