"""Sends the click-to-call Originate and follows its events (callbacks/dialing.py is the machine).

Calls live in memory only: they are seconds long and what matters of them is the attempt the
agent records afterwards (callback_attempt and the ticket's history), which is durable.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from hotline.ami import events as ev
from hotline.ami.errors import AmiActionError, AmiError

from callbacks.dialing import CallState, ClickCall, originate_fields

log = logging.getLogger("callbacks.clicktocall")
KEEP = 500  # finished calls kept for the pages
ORIGINATE_MARGIN_S = 15  # beyond the agent's ring time, an unanswered Originate is given up


class CallError(Exception):
    def __init__(self, error_id: str, message: str, status: int) -> None:
        super().__init__(message)
        self.error_id, self.message, self.status = error_id, message, status


class ClickToCall:
    def __init__(self, clients: Mapping[str, object], clock: Callable[[], datetime], settings) -> None:
        self._clients = clients
        self._clock = clock
        self.settings = settings  # hotline.config.CallbacksSection
        self.calls: OrderedDict[int, ClickCall] = OrderedDict()
        self._early: OrderedDict[str, ev.OriginateResponse] = OrderedDict()

    def caller_id_for(self, line: str | None) -> str:
        """The outbound caller ID of the line the citizen called on ([callbacks] caller_ids)."""
        if line and line in self.settings.caller_ids:
            return self.settings.caller_ids[line]
        return line or self.settings.default_caller_id

    def latest(self, ticket: str, agent: str) -> ClickCall | None:
        for call in reversed(self.calls.values()):
            if call.ticket == ticket and call.agent == agent:
                return call
        return None

    async def call(self, ticket, agent: str, interface: str | None) -> ClickCall:
        """Ring `interface` (the agent's own phone), then the ticket's citizen."""
        if not interface:
            raise CallError("callbacks.call.no_phone", "您的账号未绑定话机，请联系管理员", 409)
        if not ticket.caller:
            raise CallError("callbacks.call.no_number", "该工单没有市民联系电话", 409)
        self._expire()
        if any(c.active and c.agent == agent for c in self.calls.values()):
            raise CallError("callbacks.call.busy", "您已有一通进行中的回访呼叫", 409)
        client = next(iter(self._clients.values()), None)
        if client is None:
            raise CallError("callbacks.ami.unavailable", "交换机未连接，无法呼叫", 503)
        call = ClickCall(ticket.number, agent, interface, self.caller_id_for(ticket.line_dialed), self._clock())
        call.ticket_ref = getattr(ticket, "ticket_ref", None)  # a worklist row calls for its draft ticket
        self.calls[call.id] = call
        while len(self.calls) > KEEP:
            self.calls.popitem(last=False)
        fields = originate_fields(call, ticket.caller, self.settings.context, self.settings.agent_ring_seconds,
                                  self.settings.citizen_ring_seconds, self.settings.dial_string(ticket.caller))
        try:
            response = await client.send("Originate", fields)
        except AmiActionError as exc:
            call.refused("交换机拒绝了呼叫", self._clock())
            raise CallError("callbacks.ami.refused", f"交换机拒绝了呼叫：{exc.message}", 502) from exc
        except AmiError as exc:
            call.refused("交换机未应答", self._clock())
            raise CallError("callbacks.ami.no_answer", "交换机未应答，请稍后再试", 504) from exc
        call.action_id = response.get("ActionID") or ""
        early = self._early.pop(call.action_id, None)
        if early is not None:
            call.feed(early, self._clock())
        log.info("callbacks.originate ticket=%s agent=%s phone=%s action=%s", call.ticket, agent, interface,
                 call.action_id)
        return call

    def _expire(self) -> None:
        """A call whose agent's phone never answered nor failed within its ring time plus a margin
        (the OriginateResponse was lost) no longer blocks the agent's next call."""
        now = self._clock()
        limit = timedelta(seconds=self.settings.agent_ring_seconds + ORIGINATE_MARGIN_S)
        for call in self.calls.values():
            if call.state is CallState.RINGING_AGENT and now - call.started_at > limit:
                call.lost("交换机未回复呼叫结果", now)

    def handle(self, event: ev.AmiEvent) -> None:
        """Inline AMI subscriber: only state changes, no awaiting."""
        now = self._clock()
        if isinstance(event, ev.AmiClientDisconnected):
            for call in self.calls.values():
                if call.active:
                    call.lost("与交换机的连接中断", now)
            return
        claimed = False
        for call in self.calls.values():
            if call.active and call.feed(event, now):
                claimed = True
        if not claimed and isinstance(event, ev.OriginateResponse) and event.action_id:
            self._early[event.action_id] = event  # answered before we stored the ActionID
            while len(self._early) > 64:
                self._early.popitem(last=False)
