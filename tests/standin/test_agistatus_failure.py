"""AGISTATUS after a failed command: res_agi ends such a session FAILURE although the script finished.

Real Asterisk 22.10.1 (traces 03a + 03b): the session on Local/300 that streamed `nosuchfile`
got `200 result=-1 endpos=0`, went on, and ended with AGISTATUS=FAILURE. The stand-in must do
the same, or the dialplan's handling of that status is never exercised.
"""
from __future__ import annotations

import asyncio

from .agi_server import AgiServer, cmd
from .amiclient import get, trace_messages


def _trace_sessions() -> dict[str, tuple[list[str], str]]:
    """Per AGI channel of trace 03b: the ResultCodes of its commands and its final AGISTATUS."""
    codes: dict[str, list[str]] = {}
    status: dict[str, str] = {}
    for msg in trace_messages("03b-ami-events-during-fastagi"):
        event, channel = get(msg, "Event"), get(msg, "Channel") or ""
        if event == "AGIExecEnd":
            codes.setdefault(channel, []).append(get(msg, "ResultCode") or "")
        elif event == "VarSet" and get(msg, "Variable") == "AGISTATUS":
            status[channel] = get(msg, "Value") or ""
    return {ch: (codes.get(ch, []), st) for ch, st in status.items()}


def test_given_trace_03b_when_a_live_session_had_a_failed_command_then_it_ended_failure():
    sessions = _trace_sessions()
    failed = {ch for ch, (codes, _) in sessions.items() if "-1" in codes}
    assert failed, "trace 03b has a session with a RESULT_FAILURE command"
    for channel in failed:
        codes, status = sessions[channel]
        assert status in {"FAILURE", "HANGUP"}, (channel, codes, status)
    assert any(sessions[ch][1] == "FAILURE" for ch in failed)


async def _run(ami, agi_port, commands: list[str]) -> tuple[list[str], str]:
    replies: list[str] = []

    async def script(reader, writer):
        for line in commands:
            replies.append(await cmd(reader, writer, line))

    async with AgiServer(script, agi_port) as srv:
        await ami.action("Originate", Channel="Local/300@agi-test", Context="caller", Exten="wait", Priority="1",
                         Async="true")
        async with asyncio.timeout(5):
            await srv.done.wait()
        status = await ami.event("VarSet", Variable="AGISTATUS")
    return replies, get(status, "Value") or ""


async def test_given_missing_prompt_when_streamed_then_session_goes_on_and_ends_failure(ami, agi_port):
    replies, status = await _run(ami, agi_port, ['STREAM FILE nosuchfile ""', "SET VARIABLE HOTLINE_ACTION queue"])
    assert replies == ["200 result=-1 endpos=0\n", "200 result=1\n"]
    assert status == "FAILURE"


async def test_given_only_successful_commands_then_session_ends_success(ami, agi_port):
    replies, status = await _run(ami, agi_port, ["SET VARIABLE HOTLINE_ACTION queue", "VERBOSE ok 1"])
    assert replies == ["200 result=1\n", "200 result=1\n"]
    assert status == "SUCCESS"


async def test_given_record_into_unwritable_directory_then_session_ends_failure(ami, agi_port, tmp_path):
    (tmp_path / "blocker").write_text("a file where the directory should be")  # even root cannot write there
    replies, status = await _run(ami, agi_port, ['RECORD FILE blocker/intake wav "#" 1000', "VERBOSE done 1"])
    assert replies[0].startswith("200 result=-1 (writefile)")
    assert status == "FAILURE"
