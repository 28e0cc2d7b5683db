"""A citizen's phone the engine calls (语音回访): `PJSIP/<number>@trunk`, the dial string the survey
Originates. It rings, then answers, rings out or is busy (SIP 486); once answered it listens to the
AGI commands played to it and presses the key it was told to for a prompt, like a person would after
hearing the question, or hangs up when a given prompt starts.

    SurveyedCitizen("13800138000", keys={"hotline/survey-resolved": "1", "hotline/survey-satisfaction": "3"})
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .channels import RINGING, UP

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx


class SurveyedCitizen:
    def __init__(self, number: str, *, endpoint: str = "trunk", ring_time: float = 3.0, answer: bool = True,
                 busy: bool = False, keys: dict[str, str | list[str]] | None = None, hang_up_on: str | None = None,
                 press_after: float = 0.5) -> None:
        self.number = number
        self.interface = f"PJSIP/{number}@{endpoint}"
        self.ring_time = ring_time
        self.answer = answer
        self.busy = busy
        self.keys = {k: (list(v) if isinstance(v, list) else [v]) for k, v in (keys or {}).items()}
        self.hang_up_on = hang_up_on
        self.press_after = press_after
        self.in_call = False
        self.calls = 0        # times the phone rang
        self.answered = 0
        self.heard: list[str] = []   # AGI commands played on the answered calls, in order
        self.seen: list[str | None] = []  # the caller ID each call showed

    def register(self, pbx: Pbx) -> None:
        pbx.register_endpoint(self.interface, self)

    def available(self) -> bool:
        return not self.in_call

    def device_state(self) -> int:
        return 2 if self.in_call else 1

    async def on_incoming(self, pbx: Pbx, chan: Channel) -> None:
        self.in_call = True
        self.calls += 1
        self.seen.append(chan.conn_num)
        try:
            pbx.set_state(chan, RINGING)
            await chan.sleep(self.ring_time)
            if self.busy:
                pbx.request_hangup(chan, 17)
                return
            if not self.answer:
                await chan.hangup_event.wait()
                return
            self.answered += 1
            pbx.watch_channel(chan.name, self._listener(pbx, chan))
            pbx.set_state(chan, UP)
            await chan.hangup_event.wait()
        except Exception:  # noqa: BLE001 - the call ended: nothing more to do
            pass
        finally:
            self.in_call = False

    def _listener(self, pbx: Pbx, chan: Channel):
        return answerer(pbx, chan.name, self.keys, heard=self.heard, hang_up_on=self.hang_up_on,
                        press_after=self.press_after)


def answerer(pbx: Pbx, channel: str, keys: dict[str, str | list[str]], *, heard: list[str] | None = None,
             hang_up_on: str | None = None, press_after: float = 0.5):
    """A person on `channel` who, `press_after` seconds into a prompt (STREAM FILE / GET DATA <prompt>),
    presses the keys given for it (a list: one entry per time the prompt is played, the last one
    repeats), or hangs up when `hang_up_on` starts. Appends every AGI command to `heard`. Register it
    with `pbx.watch_channel(channel, listener)`; it removes itself at the Hangup."""
    pending = {k: (list(v) if isinstance(v, list) else [v]) for k, v in keys.items()}
    heard = heard if heard is not None else []

    def press(digits: str) -> None:
        chan = pbx.find_channel(channel)
        if chan is not None and chan.alive:
            for digit in digits:
                pbx.dtmf_received(chan, digit)

    def hang_up() -> None:
        chan = pbx.find_channel(channel)
        if chan is not None and chan.alive:
            pbx.request_hangup(chan, 16)

    def on_event(event: str, msg: list) -> None:
        fields = dict(msg)
        if fields.get("Channel") != channel:
            return
        if event == "Hangup":
            pbx.remove_listener(on_event)
            return
        if event != "AGIExecStart":
            return
        command = fields.get("Command", "")
        heard.append(command)
        words = command.split()
        prompt = words[2] if len(words) > 2 and words[0].upper() in ("STREAM", "GET") else None
        if prompt is not None and prompt == hang_up_on:
            pbx.clock.call_later(press_after, hang_up)
            return
        if prompt in pending and pending[prompt]:
            queue = pending[prompt]
            digits = queue.pop(0) if len(queue) > 1 else queue[0]
            pbx.clock.call_later(press_after, lambda: press(digits))

    return on_event
