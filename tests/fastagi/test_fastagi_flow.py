"""Generator call flows: the same flow driven by hand with literal results and from a live socket."""
from __future__ import annotations

import pytest
from fastagi_support import env_block, fake_asterisk

from ivr.fastagi import (
    ChannelHungUp,
    DigitsResult,
    GetData,
    GetVariable,
    PlaybackResult,
    SetVariable,
    StreamFile,
    Verbose,
    parse_reply,
    replay_flow,
    run_flow,
)


def menu(max_tries: int = 2):
    """A tiny IVR menu: welcome, ask for 1/2, retry once on timeout, store the choice."""
    try:
        yield StreamFile("ivr-welcome")
        for _ in range(max_tries):
            answer = yield GetData("ivr-menu", 3000, 1)
            if answer.digits in ("1", "2"):
                yield SetVariable("IVR_CHOICE", answer.digits)
                return answer.digits
            yield StreamFile("pbx-invalid")
        return None
    except ChannelHungUp:
        yield Verbose("caller left the menu")
        return "hung-up"


def test_given_menu_when_driven_by_hand_with_literal_results_then_commands_and_choice():
    transcript = replay_flow(menu(), [
        PlaybackResult(None, 24000), DigitsResult("", True), PlaybackResult(None, 8000), DigitsResult("2", False),
        None,
    ])
    assert [c.line for c in transcript.commands] == [
        b'STREAM FILE ivr-welcome ""\n', b"GET DATA ivr-menu 3000 1\n", b'STREAM FILE pbx-invalid ""\n',
        b"GET DATA ivr-menu 3000 1\n", b'SET VARIABLE IVR_CHOICE "2"\n',
    ]
    assert transcript.value == "2"


def test_given_menu_when_results_come_from_reply_bytes_then_same_outcome():
    flow = menu()
    command = next(flow)
    command = flow.send(command.result(parse_reply(b"200 result=0 endpos=24000\n")))
    assert command == GetData("ivr-menu", 3000, 1)
    command = flow.send(command.result(parse_reply(b"200 result=1\n")))
    assert command == SetVariable("IVR_CHOICE", "1")
    with pytest.raises(StopIteration) as stop:
        flow.send(None)
    assert stop.value.value == "1"


def test_given_hangup_thrown_into_menu_when_replayed_then_flow_cleans_up():
    transcript = replay_flow(menu(), [PlaybackResult(None), ChannelHungUp("511"), None])
    assert transcript.commands[-1] == Verbose("caller left the menu")
    assert transcript.value == "hung-up"


def test_given_flow_wanting_more_results_when_replayed_then_clear_assertion():
    with pytest.raises(AssertionError, match="wants a result"):
        replay_flow(menu(), [PlaybackResult(None)])


async def test_given_menu_when_run_against_socket_then_same_commands_and_value(agi_server):
    values = []

    async def ivr(session):
        values.append(await run_flow(session, menu()))

    agi_server.add_route("ivr", ivr)
    sent = await fake_asterisk(agi_server.port, env_block(), [
        b"200 result=0 endpos=24000\n", b"200 result=1\n", b"200 result=1\n"])
    assert sent == [b'STREAM FILE ivr-welcome ""\n', b"GET DATA ivr-menu 3000 1\n", b'SET VARIABLE IVR_CHOICE "1"\n']
    assert values == ["1"]


async def test_given_caller_hangs_up_mid_menu_when_run_then_error_thrown_into_flow(agi_server):
    values = []

    async def ivr(session):
        values.append(await run_flow(session, menu()))

    agi_server.add_route("ivr", ivr)
    sent = await fake_asterisk(agi_server.port, env_block(), [
        b"200 result=-1 endpos=0\nHANGUP\n", b"200 result=1\n"])
    assert sent == [b'STREAM FILE ivr-welcome ""\n', b'VERBOSE "caller left the menu" 1\n']
    assert values == ["hung-up"]


async def test_given_flow_not_handling_an_error_when_run_then_error_propagates(agi_server):
    errors = []

    def lookup():
        value = yield GetVariable("X")
        return value

    async def ivr(session):
        try:
            await run_flow(session, lookup())
        except ChannelHungUp as exc:
            errors.append(exc.error_id)

    agi_server.add_route("ivr", ivr)
    await fake_asterisk(agi_server.port, env_block(), [b"511 Command Not Permitted\n"])
    assert errors == ["fastagi.channel_hung_up"]
