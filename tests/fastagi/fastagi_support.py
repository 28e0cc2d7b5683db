"""Trace loading and a fake Asterisk peer for the FastAGI tests (no production code here)."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def raw(trace: str, direction: str) -> bytes:
    return (TRACES / "raw" / f"{trace}.agi1.{direction}.bin").read_bytes()


@dataclass(frozen=True)
class Step:
    command: bytes
    reply: bytes  # every line Asterisk sent for it, incl. multi-line 520 and a following HANGUP


def split_env(stream: bytes) -> tuple[bytes, bytes]:
    end = stream.index(b"\n\n") + 2
    return stream[:end], stream[end:]


def group_replies(stream: bytes) -> list[bytes]:
    """Group raw reply lines into one chunk per command; a HANGUP line joins the chunk before it."""
    groups: list[bytes] = []
    usage: list[bytes] | None = None
    for line in stream.splitlines(keepends=True):
        if usage is not None:
            usage.append(line)
            if line.startswith(b"520 "):
                groups.append(b"".join(usage))
                usage = None
        elif line.startswith(b"520-"):
            usage = [line]
        elif line == b"HANGUP\n":
            groups[-1] += line
        else:
            groups.append(line)
    return groups


def load_trace(trace: str) -> tuple[bytes, list[Step]]:
    env, replies = split_env(raw(trace, "from_asterisk"))
    commands = raw(trace, "to_asterisk").splitlines(keepends=True)
    groups = group_replies(replies)
    assert len(commands) == len(groups), (len(commands), len(groups))
    return env, [Step(cmd, reply) for cmd, reply in zip(commands, groups, strict=True)]


def asterisk_parse_args(line: str) -> list[str]:
    """Python port of res_agi.c parse_args, to check how Asterisk will tokenise what we send."""
    args: list[str] = []
    cur: list[str] | None = None
    quoted = escaped = False
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and cur is None:
                cur = []
                args.append("")
            continue
        if ch in " \t" and not quoted and not escaped:
            if cur is not None:
                args[-1] = "".join(cur)
            cur = None
            continue
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if cur is None:
            cur = []
            args.append("")
        cur.append(ch)
        args[-1] = "".join(cur)
        escaped = False
    return args


@dataclass
class Delayed:
    """Send `first`, then `later` after `delay` seconds (Asterisk's asynchronous HANGUP)."""

    first: bytes
    delay: float
    later: bytes


async def fake_asterisk(port: int, env: bytes, replies: Iterable[bytes | Delayed] = (),
                        *, limit_s: float = 10.0) -> list[bytes]:
    """Connect like Asterisk, send `env`, answer each command line with the next reply.

    Returns the command lines received, once the server closes the connection.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    pending = iter(replies)
    received: list[bytes] = []
    try:
        async with asyncio.timeout(limit_s):
            writer.write(env)
            while line := await reader.readline():
                received.append(line)
                reply = next(pending, None)
                if reply is None:
                    continue
                if isinstance(reply, Delayed):
                    writer.write(reply.first)
                    await writer.drain()
                    await asyncio.sleep(reply.delay)
                    writer.write(reply.later)
                else:
                    writer.write(reply)
                await writer.drain()
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
    return received


def env_block(script: str = "ivr", **values: str) -> bytes:
    lines = ["agi_network: yes", f"agi_network_script: {script}", "agi_uniqueid: 1795352725.1"]
    lines += [f"agi_{key}: {val}" for key, val in values.items()]
    return ("\n".join(lines) + "\n\n").encode()
