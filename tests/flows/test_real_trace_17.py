"""The engine's front end against the exact FastAGI bytes of a real Asterisk 22.10.1 (trace 17).

Trace 17 (tests/fixtures/traces/README.md): the after-hours menu's prompt is missing, Asterisk answers
`STREAM FILE` with `200 result=-1 endpos=0`, the caller presses 2 (fire, 119). Here the engine talks to a
fake Asterisk that sends the recorded environment and answers each command with the recorded reply: the
engine must send the same commands, in the same order, and decide 119 with HOTLINE_ACTION last.
"""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

from hotline.testing import running_hotline

RAW = Path(__file__).parents[1] / "fixtures" / "traces" / "raw"
TRACE = "17-ami-agi-missing-prompt-119"
_TICKET = re.compile(rb'HOTLINE_TICKET "\d+"')


def _recorded() -> tuple[bytes, list[bytes], list[bytes]]:
    stream = (RAW / f"{TRACE}.agi1.from_asterisk.bin").read_bytes()
    end = stream.index(b"\n\n") + 2
    replies = stream[end:].splitlines(keepends=True)
    commands = (RAW / f"{TRACE}.agi1.to_asterisk.bin").read_bytes().splitlines(keepends=True)
    assert replies[-1] == b"HANGUP\n"  # Asterisk's goodbye once the engine closed the session
    return stream[:end], commands, replies[:-1]


async def _play_asterisk(port: int, env: bytes, replies: list[bytes]) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    received: list[bytes] = []
    try:
        async with asyncio.timeout(20):
            writer.write(env)
            pending = iter(replies)
            while line := await reader.readline():
                received.append(line)
                writer.write(next(pending, b"510 Invalid or unknown command\n"))
                await writer.drain()
    finally:
        writer.close()
    return received


def _after_hours(tmp_path: Path) -> Path:
    from ivr.frontend.menus import DEFAULT_MENUS

    text = DEFAULT_MENUS.read_text(encoding="utf-8").replace(
        '# after_hours = { menu = "after-hours", hours = "22:00-08:00" }',
        'after_hours = { menu = "after-hours", hours = "00:00-24:00" }')
    path = tmp_path / "menus.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_trace_shows_the_failed_prompt_the_digit_and_the_decision():
    _, commands, replies = _recorded()
    menu = commands.index(b'STREAM FILE hotline/after-hours-menu "0123456789*#"\n')
    assert replies[menu] == b"200 result=-1 endpos=0\n"
    assert replies[menu + 1] == b"200 result=50\n"  # WAIT FOR DIGIT: '2'
    assert commands[-1] == b'SET VARIABLE HOTLINE_ACTION "emergency"\n'


async def test_given_the_real_replies_of_trace_17_then_the_engine_sends_the_same_commands_and_decides_119(tmp_path):
    env, commands, replies = _recorded()
    async with running_hotline(tmp_path, config={"ivr": {"menus_file": str(_after_hours(tmp_path))}}) as hotline:
        sent = await _play_asterisk(hotline.engine.services["fastagi"].port, env, replies)
        (ticket,) = await hotline.engine.services["tickets"].search(caller="13800138017")
    assert [_TICKET.sub(b'HOTLINE_TICKET "#"', c) for c in sent] == [
        _TICKET.sub(b'HOTLINE_TICKET "#"', c) for c in commands]
    assert f'SET VARIABLE HOTLINE_TICKET "{ticket.number}"\n'.encode() in sent
    assert "119" in ticket.content and "已转接" in ticket.content
    assert ticket.call_id == "1796231706.0"  # the Linkedid Asterisk answered GET FULL VARIABLE with
