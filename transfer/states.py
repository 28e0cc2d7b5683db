"""One transfer's state, moved only by the AMI events Asterisk sends (and our own actions' answers).

Pure: typed events in, transitions and follow-up effects out. No clock, no I/O; the service
stamps times and executes the effects. Two kinds of transfer:

* blind (BlindTransfer, trace 05b): the citizen leaves the agent's bridge and runs the dialplan,
  whose Dial() we follow on the citizen's channel: VarSet DIALSTATUS "" (start, ignored), DialBegin,
  then the outcome from DialEnd or the VarSet DIALSTATUS, whichever Asterisk sends first (ANSWER comes
  as a VarSet before DialEnd, BUSY/NOANSWER after it: traces 14, 15, 18), or only that VarSet when no
  leg could be created. Sub-center blind transfers run the same Dial.
* conference (Originate into ConfBridge + dual Redirect, trace 09a): the target is dialed while
  citizen and agent keep talking; only once it answered are both moved into the conference. A
  target that does not answer leaves citizen and agent exactly where they were.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hotline.ami import events as ev

from .errors import TransferError


class State(StrEnum):
    REQUESTED = "requested"      # action about to be sent
    DIALING = "dialing"          # the target is ringing
    ANSWERED = "answered"        # the target picked up
    CONFERENCE = "conference"    # citizen, agent and target together (三方通话)
    HANDED_OVER = "handed_over"  # agent left; citizen and target talk
    ENDED = "ended"              # answered transfer, call over
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"


BLIND = "blind"
CONFERENCE = "conference"

TRANSITIONS: dict[State, frozenset[State]] = {
    State.REQUESTED: frozenset({State.DIALING, State.BUSY, State.NO_ANSWER, State.FAILED}),
    State.DIALING: frozenset({State.ANSWERED, State.BUSY, State.NO_ANSWER, State.FAILED}),
    State.ANSWERED: frozenset({State.CONFERENCE, State.HANDED_OVER, State.ENDED, State.FAILED}),
    State.CONFERENCE: frozenset({State.HANDED_OVER, State.ENDED}),
    State.HANDED_OVER: frozenset({State.ENDED}),
}
TERMINAL = frozenset({State.ENDED, State.BUSY, State.NO_ANSWER, State.FAILED})

DIAL_OUTCOME = {"ANSWER": State.ANSWERED, "BUSY": State.BUSY, "NOANSWER": State.NO_ANSWER}
# OriginateResponse Reason: Asterisk's control frame of the dial's end (4 answer, 5 busy, 3/1 no answer).
ORIGINATE_OUTCOME = {4: State.ANSWERED, 5: State.BUSY, 3: State.NO_ANSWER, 1: State.NO_ANSWER}

# Effects the service carries out after a transition.
JOIN = "join"    # dual Redirect of citizen + agent into the conference
KICK = "kick"    # end the conference (nobody useful left in it)


@dataclass(frozen=True)
class Change:
    before: State
    after: State
    effects: tuple[str, ...] = ()
    detail: str = ""


@dataclass
class TransferMachine:
    """Which channels belong to this transfer, and where it stands."""

    kind: str
    citizen: str
    agent: str
    conference: str = ""
    state: State = State.REQUESTED
    action_id: str = ""
    target_channel: str = ""
    joined: set[str] = field(default_factory=set)
    detail: str = ""

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    def go(self, to: State, *effects: str, detail: str = "") -> Change:
        if to not in TRANSITIONS.get(self.state, frozenset()):
            raise TransferError("transfer.state.invalid", f"不能从 {self.state} 转到 {to}", 409)
        change = Change(self.state, to, effects, detail)
        self.state = to
        if detail:
            self.detail = detail
        return change

    # --- our own actions' answers ---------------------------------------------------------------
    def action_refused(self, reason: str) -> Change:
        """Asterisk answered Response: Error (or never answered): nothing moved."""
        return self.go(State.FAILED, detail=reason)

    def originated(self, action_id: str) -> Change:
        self.action_id = action_id
        return self.go(State.DIALING)

    # --- events -------------------------------------------------------------------------------
    def feed(self, event: ev.AmiEvent) -> Change | None:
        if self.done:
            return self._late_answer(event)
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        return handler(event) if handler else None

    def _late_answer(self, event: ev.AmiEvent) -> Change | None:
        """The target answered after the transfer was given up: it must not stay alone in the conference."""
        if (isinstance(event, ev.OriginateResponse) and self.kind == CONFERENCE and self.action_id
                and event.action_id == self.action_id and event.response == "Success"):
            self.target_channel = event.channel
            return Change(self.state, self.state, (KICK,), "answered too late")
        return None

    def _on_BlindTransfer(self, e: ev.BlindTransfer) -> Change | None:
        if self.kind == BLIND and e.transferer and e.transferer.channel == self.agent and self.state is State.REQUESTED:
            return self.go(State.DIALING) if e.result == "Success" else self.go(State.FAILED, detail=e.result)
        return None

    def _on_DialBegin(self, e: ev.DialBegin) -> Change | None:
        """Only a Dial started after Asterisk confirmed the transfer (BlindTransfer event) is the target."""
        if self.kind == BLIND and self.state is State.DIALING and e.channel and e.channel.channel == self.citizen and e.dest:
            self.target_channel = e.dest.channel
        return None

    def _on_DialEnd(self, e: ev.DialEnd) -> Change | None:
        if self.kind != BLIND or not e.channel or e.channel.channel != self.citizen or self.state is not State.DIALING:
            return None
        if e.dest and self.target_channel and e.dest.channel != self.target_channel:
            return None
        return self.go(DIAL_OUTCOME.get(e.dial_status, State.FAILED), detail=e.dial_status)

    def _on_VarSet(self, e: ev.VarSet) -> Change | None:
        """DIALSTATUS decides as much as DialEnd does: whichever of the two comes first.

        An answered Dial() sets DIALSTATUS=ANSWER *before* its DialEnd (traces 05b, 17, 18); busy and
        no-answer set it after DialEnd (14, 15); a leg that could not be created gives only the VarSet.
        Dial() clears DIALSTATUS to "" as it starts: no outcome. An ANSWER before this transfer's own
        DialBegin is the citizen's *previous* Dial() reporting as the blind transfer pulls it out (05b,
        18): only once the target is being dialed does ANSWER count.
        """
        if (self.kind != BLIND or e.variable != "DIALSTATUS" or e.value == "" or not e.channel
                or e.channel.channel != self.citizen or self.state is not State.DIALING):
            return None
        if e.value == "ANSWER" and not self.target_channel:
            return None
        return self.go(DIAL_OUTCOME.get(e.value, State.FAILED), detail=e.value)

    def _on_OriginateResponse(self, e: ev.OriginateResponse) -> Change | None:
        if self.kind != CONFERENCE or not self.action_id or e.action_id != self.action_id:
            return None
        if e.response == "Success":
            self.target_channel = e.channel
            if self.state is State.FAILED:
                return None
            return self.go(State.ANSWERED, JOIN)
        return self.go(ORIGINATE_OUTCOME.get(e.reason, State.FAILED), detail=f"reason {e.reason}")

    def _on_ConfbridgeJoin(self, e: ev.ConfbridgeJoin) -> Change | None:
        if self.kind != CONFERENCE or e.conference != self.conference or not e.channel:
            return None
        self.joined.add(e.channel.channel)
        if self.state is State.ANSWERED and {self.citizen, self.agent} <= self.joined:
            return self.go(State.CONFERENCE)
        return None

    def _on_ConfbridgeLeave(self, e: ev.ConfbridgeLeave) -> Change | None:
        if self.kind != CONFERENCE or e.conference != self.conference or not e.channel:
            return None
        who = e.channel.channel
        self.joined.discard(who)
        if who == self.agent and self.state is State.CONFERENCE:
            return self.go(State.HANDED_OVER)
        if (who in (self.citizen, self.target_channel) and self.joined
                and self.state in (State.CONFERENCE, State.HANDED_OVER)):
            return Change(self.state, self.state, (KICK,), f"{who} left")
        return None

    def _on_ConfbridgeEnd(self, e: ev.ConfbridgeEnd) -> Change | None:
        if self.kind == CONFERENCE and e.conference == self.conference and self.state in (
                State.ANSWERED, State.CONFERENCE, State.HANDED_OVER):
            return self.go(State.ENDED)
        return None

    def _on_Hangup(self, e: ev.Hangup) -> Change | None:
        if not e.channel:
            return None
        if self.kind == BLIND and self.state is State.ANSWERED and e.channel.channel in (self.citizen, self.target_channel):
            return self.go(State.ENDED)
        if e.channel.channel != self.citizen:
            return None
        if self.state in (State.REQUESTED, State.DIALING) or (self.kind == CONFERENCE and self.state is State.ANSWERED):
            return self.go(State.FAILED, *((KICK,) if self.kind == CONFERENCE else ()), detail="citizen hung up")
        return None
