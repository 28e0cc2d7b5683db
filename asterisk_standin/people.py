"""Scriptable simulated people: citizens calling in on a trunk, agents answering PJSIP phones.

Citizen scripts are lists of timed steps (simulated seconds from call start):
`press('1', at=2.0)`, `speak('q.wav', at=5.0, seconds=3.0)`, `hangup(at=40.0)`.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .channels import RING, RINGING, UP
from .devices import parse_dial_target

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx


_OUTCOME_EVENTS = frozenset({"QueueCallerJoin", "AgentConnect", "QueueCallerAbandon", "VarSet", "Hangup"})


@dataclass
class Step:
    kind: str
    at: float
    value: str = ""
    seconds: float = 0.0


def press(digits: str, at: float) -> Step:
    return Step("press", at, digits)


def speak(wav: str | Path, at: float, seconds: float = 3.0) -> Step:
    return Step("speak", at, str(wav), seconds)


def hangup(at: float) -> Step:
    return Step("hangup", at)


@dataclass
class CallOutcome:
    """What happened to one citizen call (filled from the stand-in's own events)."""

    linkedid: str = ""
    channel: str = ""
    queue: str | None = None
    waited: float | None = None
    answered_by: str | None = None
    queuestatus: str | None = None
    agistatus: str | None = None
    hangup_cause: int | None = None
    abandoned: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Citizen:
    def __init__(self, caller_num: str, caller_name: str | None = None, *, dialed: str = "12345", context: str = "hotline-in",
                 script: list[Step] | None = None, patience: float | None = None, trunk: str = "PJSIP/trunk") -> None:
        self.caller_num = caller_num
        self.caller_name = caller_name
        self.dialed = dialed
        self.context = context
        self.script = sorted(script or [], key=lambda s: s.at)
        self.patience = patience
        self.trunk = trunk
        self.speech_for_recording: tuple[Path, float] | None = None
        self.outcome = CallOutcome()

    def place(self, pbx: Pbx) -> CallOutcome:
        """Create the trunk channel in context/exten (state Ring) and start the dialplan and the script."""
        chan = pbx.new_channel(f"{self.trunk}-{pbx.ids.channel_suffix()}", context=self.context, exten=self.dialed, state=RING)
        chan.endpoint = self
        chan.caller_num, chan.caller_name = self.caller_num, self.caller_name
        chan.conn_num, chan.conn_name = None, None
        chan.variables["__DNID"] = self.dialed
        out = self.outcome
        out.linkedid, out.channel = chan.linkedid, chan.name
        pbx.watch_channel(chan.name, self._listener(pbx, chan))
        pbx.start_dialplan(chan)
        pbx.spawn(self._run_script(pbx, chan), name=f"citizen {chan.name}")
        return out

    def _listener(self, owner: Pbx, chan: Channel):
        """Fills the outcome from the events of `chan`; removes itself from `owner` at the Hangup."""
        out = self.outcome

        def on_event(event: str, msg: list) -> None:
            if event not in _OUTCOME_EVENTS:
                return
            fields = dict(msg)
            if fields.get("Channel") != chan.name:
                return
            if event == "QueueCallerJoin":
                out.queue = fields.get("Queue")
            elif event == "AgentConnect":
                out.answered_by = fields.get("Interface")
                out.waited = float(fields.get("HoldTime", 0))
            elif event == "QueueCallerAbandon":
                out.abandoned = True
                out.waited = float(fields.get("HoldTime", 0))
            elif event == "VarSet":
                if fields.get("Variable") == "QUEUESTATUS":
                    out.queuestatus = fields.get("Value")
                elif fields.get("Variable") == "AGISTATUS":
                    out.agistatus = fields.get("Value")
            elif event == "Hangup":
                out.hangup_cause = int(fields.get("Cause", 0))
                out.done.set()
                owner.remove_listener(on_event)

        return on_event

    async def _run_script(self, pbx: Pbx, chan: Channel) -> None:
        start = pbx.clock.now()
        steps = list(self.script)
        if self.patience is not None:
            steps.append(Step("patience", self.patience))
            steps.sort(key=lambda s: s.at)
        for step in steps:
            delay = start + step.at - pbx.clock.now()
            if delay > 0:
                try:
                    await chan.sleep(delay)
                except Exception:  # noqa: BLE001 - channel gone ends the script
                    return
            if not chan.alive:
                return
            if step.kind == "press":
                for digit in step.value:
                    pbx.dtmf_received(chan, digit)
            elif step.kind == "speak":
                self.speech_for_recording = (Path(step.value), step.seconds)
            elif step.kind == "hangup" or (step.kind == "patience" and self.outcome.answered_by is None):
                pbx.request_hangup(chan, 16)
                return


class Agent:
    """A simulated agent phone (e.g. PJSIP/8001) that rings, answers, talks and hangs up."""

    def __init__(self, interface: str, name: str = "", *, ring_time: float = 2.0, talk_time: float = 30.0, answer: bool = True,
                 number: str | None = None, talk_time_fn=None, reject: bool = False) -> None:
        """`reject`: rings, then declines (SIP 486 Busy Here): the caller's Dial() ends BUSY."""
        self.interface = interface
        self.name = name or interface
        target = parse_dial_target(interface)
        self.number = number or (target.number or target.endpoint if target else interface)
        self.ring_time = ring_time
        self.talk_time = talk_time
        self.answer = answer
        self.reject = reject
        self.talk_time_fn = talk_time_fn
        self.busy = False
        self.ringing = False
        self.calls = 0

    def register(self, pbx: Pbx) -> None:
        pbx.register_endpoint(self.interface, self)

    def available(self) -> bool:
        return not self.busy

    def device_state(self) -> int:
        if not self.busy:
            return 1
        return 6 if self.ringing else 2  # RINGING while it rings, INUSE once answered


    async def on_incoming(self, pbx: Pbx, chan: Channel) -> None:
        self.busy = self.ringing = True
        try:
            pbx.set_state(chan, RINGING)
            await chan.sleep(self.ring_time)
            self.ringing = False
            if self.reject:
                pbx.request_hangup(chan, 17)
                return
            if not self.answer:
                await chan.hangup_event.wait()
                return
            pbx.set_state(chan, UP)
            self.calls += 1
            talk = self.talk_time_fn() if self.talk_time_fn else self.talk_time
            for _ in range(100):  # the conversation starts once the caller is bridged in
                if chan.bridge is not None:
                    break
                await chan.sleep(0.05)
            await chan.sleep(talk)
            pbx.request_hangup(chan, 16, soft=True)
        except Exception:  # noqa: BLE001 - caller went away: nothing more to do
            pass
        finally:
            self.busy = self.ringing = False
            pbx.queues.set_member_status(self.interface, 1)


class CalledCitizen(Agent):
    """A citizen's phone reached from the engine (回访, survey): `PJSIP/<number>@trunk`, the dial
    string [hotline-callback] leaves on. Rings, then answers (`answer`), rings out (answer=False)
    or is busy (`reject`); `seen` keeps the caller ID each call showed, as a phone's display would."""

    def __init__(self, number: str, *, endpoint: str = "trunk", ring_time: float = 3.0, talk_time: float = 20.0,
                 answer: bool = True, reject: bool = False) -> None:
        super().__init__(f"PJSIP/{number}@{endpoint}", f"市民{number[-4:]}", ring_time=ring_time,
                         talk_time=talk_time, answer=answer, number=number, reject=reject)
        self.seen: list[str | None] = []

    async def on_incoming(self, pbx: Pbx, chan: Channel) -> None:
        self.seen.append(chan.conn_num)
        await super().on_incoming(pbx, chan)
