"""回访 click-to-call: the agent's own phone first, then the citizen, as one AMI Originate.

    Action: Originate
    Channel: PJSIP/8101                 (the agent's phone, accounts.phone_interface)
    Context: hotline-callback           (asterisk-config/extensions.conf)
    Exten: 13800138000                  (the citizen)
    Priority: 1
    CallerID: 12345 <12345>             (the line's outbound caller ID, [callbacks] caller_ids)
    Timeout: 30000                      (the agent's ring, ms)
    Variable: HOTLINE_TICKET=…,HOTLINE_CALLBACK_CID=12345,HOTLINE_CALLBACK_RING=45
    Async: true

Read as in trace 08 (Asterisk 22.10.1): `Async: true` answers `Response: Success` /
`Originate successfully queued` at once; the outcome is the later `OriginateResponse` event with
our ActionID: `Response: Success` + `Reason: 4` (answered) carries the channel's name; a failure is
`Response: Failure` with `Reason` the control frame the dial ended on (0 no such channel /
failed, 1 hung up, 3 rang out, 5 busy, 8 congestion) and `Channel` the dial string we gave, not a
channel name. The citizen's side is the `DIALSTATUS` the dialplan's Dial() sets on the agent's
channel (ANSWER, BUSY, NOANSWER, CHANUNAVAIL, CONGESTION, CANCEL); the agent hanging up ends it.
The machine below is pure: events in, state out.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hotline.ami import events as ev


class CallState(StrEnum):
    RINGING_AGENT = "ringing_agent"
    AGENT_FAILED = "agent_failed"
    CALLING_CITIZEN = "calling_citizen"
    TALKING = "talking"
    CITIZEN_FAILED = "citizen_failed"
    ENDED = "ended"


STATE_LABELS = {
    CallState.RINGING_AGENT: "正在呼叫您的话机", CallState.AGENT_FAILED: "您的话机未接通",
    CallState.CALLING_CITIZEN: "正在呼叫市民", CallState.TALKING: "通话中",
    CallState.CITIZEN_FAILED: "未能接通市民", CallState.ENDED: "通话已结束",
}
# OriginateResponse Reason (trace 08: 4 answered, 0 failed); the rest are Asterisk's control frames
AGENT_REASON = {0: "呼叫失败", 1: "已挂断", 3: "无人接听", 5: "忙", 8: "线路拥塞"}
# DIALSTATUS of the citizen's leg → the attempt outcome an agent's 无法联系 is stored with
DIAL_OUTCOME = {"BUSY": "busy", "NOANSWER": "no_answer", "CHANUNAVAIL": "unreachable", "CONGESTION": "unreachable"}
DIAL_LABELS = {"ANSWER": "已接通", "BUSY": "占线", "NOANSWER": "无人接听", "CHANUNAVAIL": "无法接通",
               "CONGESTION": "线路拥塞", "CANCEL": "已取消"}
ACTIVE = frozenset({CallState.RINGING_AGENT, CallState.CALLING_CITIZEN, CallState.TALKING})
_ids = itertools.count(1)


def device_of(channel: str) -> str:
    """`PJSIP/8101-0000000a` → `PJSIP/8101`."""
    return channel.rsplit("-", 1)[0]


@dataclass
class ClickCall:
    ticket: str
    agent: str            # console username
    interface: str        # the agent's phone
    caller_id: str
    started_at: datetime
    id: int = 0
    action_id: str = ""
    state: CallState = CallState.RINGING_AGENT
    agent_channel: str = ""
    dial_status: str = ""
    reason: str = ""
    ended_at: datetime | None = None
    ticket_ref: str | None = None  # HOTLINE_TICKET when `ticket` is not a ticket number (漏接回拨: the draft)

    def __post_init__(self) -> None:
        self.id = self.id or next(_ids)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def label(self) -> str:
        text = STATE_LABELS[self.state]
        if self.state in (CallState.AGENT_FAILED, CallState.ENDED) and self.reason:
            text += f"（{self.reason}）"
        if self.dial_status and self.state in (CallState.CITIZEN_FAILED, CallState.ENDED):
            text += f"（市民：{DIAL_LABELS.get(self.dial_status, self.dial_status)}）"
        return text

    @property
    def suggested_outcome(self) -> str | None:
        """What 无法联系 is stored as: the network's answer when the dial told it."""
        return DIAL_OUTCOME.get(self.dial_status)

    def as_json(self) -> dict:
        return {"id": self.id, "ticket": self.ticket, "state": self.state.value, "label": self.label,
                "dial_status": self.dial_status or None, "active": self.active}

    def _mine(self, channel: str) -> bool:
        if self.agent_channel:
            return channel == self.agent_channel
        return device_of(channel) == self.interface  # before OriginateResponse (Dial may start first)

    def feed(self, event: ev.AmiEvent, now: datetime) -> bool:
        """Apply one AMI event; True when the state or what it shows changed."""
        if not self.active:
            return False
        if isinstance(event, ev.OriginateResponse):
            if not self.action_id or event.action_id != self.action_id:
                return False
            if event.response == "Success":
                self.agent_channel = event.channel
                if self.state is CallState.RINGING_AGENT:
                    self.state = CallState.CALLING_CITIZEN
                return True
            self.reason = AGENT_REASON.get(event.reason if event.reason is not None else 0, "呼叫失败")
            return self._end(CallState.AGENT_FAILED, now)
        if isinstance(event, ev.VarSet) and event.variable == "DIALSTATUS" and event.channel is not None:
            if not event.value or not self._mine(event.channel.channel):
                return False
            self.agent_channel = self.agent_channel or event.channel.channel
            self.dial_status = event.value
            if event.value == "ANSWER":
                if self.state is CallState.TALKING:
                    return False
                self.state = CallState.TALKING
                return True
            return self._end(CallState.CITIZEN_FAILED, now)
        if isinstance(event, ev.Hangup) and event.channel is not None and self.agent_channel \
                and event.channel.channel == self.agent_channel:
            return self._end(CallState.ENDED if self.state is not CallState.RINGING_AGENT else CallState.AGENT_FAILED,
                             now)
        return False

    def lost(self, message: str, now: datetime) -> None:
        """The switch went away (AMI disconnected) or never answered the Originate in time: what the
        call became is unknown, so it is over for the page; the agent records what they heard."""
        self.reason = message
        self._end(CallState.AGENT_FAILED if self.state is CallState.RINGING_AGENT else CallState.ENDED, now)

    def refused(self, message: str, now: datetime) -> None:
        """Asterisk answered the Originate itself with Response: Error (or did not answer)."""
        self.reason = message
        self._end(CallState.AGENT_FAILED, now)

    def _end(self, state: CallState, now: datetime) -> bool:
        self.state, self.ended_at = state, now
        return True


def originate_fields(call: ClickCall, citizen: str, context: str, agent_ring: int, citizen_ring: int,
                     citizen_dial: str = "") -> dict[str, str]:
    """The Originate of module docstring; every value is one line (AMI framing). `citizen_dial`: the
    citizen's leg when the center's trunk is not the dialplan's PJSIP default ([callbacks] dial)."""
    cid = "".join(ch for ch in call.caller_id if ch.isalnum() or ch in "+-")[:32] or "12345"
    variables = f"HOTLINE_TICKET={call.ticket if call.ticket_ref is None else call.ticket_ref}," \
                f"HOTLINE_CALLBACK_CID={cid},HOTLINE_CALLBACK_RING={citizen_ring}"
    if citizen_dial:
        variables += f",HOTLINE_CALLBACK_DIAL={citizen_dial}"
    return {"Channel": call.interface, "Context": context, "Exten": citizen, "Priority": "1",
            "CallerID": f"{cid} <{cid}>", "Timeout": str(agent_ring * 1000), "Variable": variables,
            "Async": "true"}
