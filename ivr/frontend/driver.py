"""Drive a front-end flow: AGI commands go to the channel, `Effect`s (DB, live queue state,
transcription, ticket creation) are awaited by the engine, and both answer at the same `yield`.

This extends `ivr.fastagi.run_flow` by composition: a flow stays a plain generator, so tests
replay it with literal results (`replay_flow`) or drive it against fakes with `drive`.
Every exception, from a command or an effect, is thrown into the flow at its `yield`;
cancellation is not, it ends the flow.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from typing import Any, Protocol, TypeVar

from ivr.fastagi import Command

T = TypeVar("T")


class Effect:
    """Engine-side work a flow asks for: `fn(*args, **kwargs)`, awaited if it returns an awaitable.

    Equal when function and arguments are equal, so tests can assert on what a flow asked.
    """

    __slots__ = ("fn", "args", "kwargs")

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs

    async def run(self) -> Any:
        result = self.fn(*self.args, **self.kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", repr(self.fn))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Effect) and other.fn == self.fn and other.args == self.args
                and other.kwargs == self.kwargs)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"Effect({self.name}, {', '.join(parts)})"


Step = Command[Any] | Effect
FrontFlow = Generator[Step, Any, T]


class Channel(Protocol):
    """What a flow's commands run on: an `ivr.fastagi.AgiSession`, or a fake in tests."""

    async def run(self, command: Command[Any]) -> Any: ...


async def drive(channel: Channel, flow: FrontFlow[T]) -> T:
    """Run `flow` to completion and return its value; re-raises what the flow does not handle."""
    try:
        step = next(flow)
        while True:
            try:
                result = await step.run() if isinstance(step, Effect) else await channel.run(step)
            except Exception as exc:  # noqa: BLE001 - the flow decides; it re-raises what it cannot handle
                step = flow.throw(exc)
            else:
                step = flow.send(result)
    except StopIteration as stop:
        return stop.value
    finally:
        flow.close()
