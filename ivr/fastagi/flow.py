"""Call flows as generators, in the style of httpx auth flows.

A flow yields commands and receives their typed results; errors (ChannelHungUp,
AgiCommandError...) are thrown into it at the `yield`, so it can clean up or fall back.
`run_flow` drives it from a live session; `replay_flow` drives the same generator with
literal results, so a menu can be tested without any socket:

    def menu(env):
        choice = yield GetData("ivr-menu", 3000, 1)
        yield SetVariable("IVR_CHOICE", choice.digits)
        return choice.digits
"""
from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .commands import Command
from .errors import FastAgiError
from .session import AgiSession

T = TypeVar("T")
Flow = Generator[Command[Any], Any, T]


async def run_flow(session: AgiSession, flow: Flow[T]) -> T:
    """Run `flow` to completion; returns its return value, re-raises what it does not handle."""
    try:
        command = next(flow)
        while True:
            try:
                result = await session.run(command)
            except FastAgiError as exc:
                command = flow.throw(exc)
            else:
                command = flow.send(result)
    except StopIteration as stop:
        return stop.value
    finally:
        flow.close()


@dataclass(frozen=True, slots=True)
class FlowTranscript(Generic[T]):
    commands: list[Command[Any]]
    value: T


def replay_flow(flow: Flow[T], results: Iterable[Any]) -> FlowTranscript[T]:
    """Feed `results` (values, or exceptions to throw) in order; fails if the flow wants more."""
    commands: list[Command[Any]] = []
    pending = iter(results)
    try:
        commands.append(next(flow))
        while True:
            try:
                result = next(pending)
            except StopIteration:
                raise AssertionError(f"flow wants a result for {commands[-1]!r} but none is left") from None
            step = flow.throw(result) if isinstance(result, BaseException) else flow.send(result)
            commands.append(step)
    except StopIteration as stop:
        return FlowTranscript(commands, stop.value)
    finally:
        flow.close()
