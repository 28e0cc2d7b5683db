"""Transfers started from the console: emergency linkage (blind / three-way) and sub-center transfers.

Every step is an AMI action object (transfer.actions); what happened is only ever learnt from
Asterisk's events, fed to one TransferMachine per transfer. Events arrive inline from the AMI
client; the ledger, the ticket and follow-up actions are handled by one worker task in order.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from hotline.ami import events as ev
from hotline.ami.errors import AmiActionError, AmiError

from . import actions as act
from .agent_calls import AgentCall, AgentCalls
from .errors import TransferError
from .ledger import Ledger, LedgerEntry
from .settings import TransferSettings
from .subcenters import subcenter_dial
from .states import BLIND, CONFERENCE, JOIN, KICK, TERMINAL, Change, State, TransferMachine

log = logging.getLogger("transfer")

EMERGENCY_NUMBERS = ("110", "119", "120", "122")
RESULT_OF = {State.ANSWERED: "answered", State.BUSY: "busy", State.NO_ANSWER: "no_answer", State.FAILED: "failed"}
DIAL_STRING = re.compile(r"[A-Za-z0-9/@._:+-]{3,128}")
SUMMARY_MAX = 500
IVR_ACTOR = "ivr"  # ledger rows of emergency calls the IVR routed (no agent involved)


@dataclass
class _Live:
    entry: LedgerEntry
    machine: TransferMachine
    client: object
    ticket_actor: str


class TransferService:
    def __init__(self, *, ledger: Ledger, clients: Mapping[str, object], calls: AgentCalls, tickets,
                 clock: Callable[[], datetime], settings: TransferSettings, lines=None) -> None:
        self.ledger = ledger
        self.calls = calls
        self._clients = clients
        self._tickets = tickets
        self._clock = clock
        self.settings = settings
        self._lines = lines
        self._live: dict[int, _Live] = {}
        self._unclaimed: OrderedDict[str, ev.OriginateResponse] = OrderedDict()
        self._work: asyncio.Queue = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self._written = asyncio.Condition()

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._run(), name="transfer-worker")

    async def aclose(self) -> None:
        if self._worker:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None

    async def drain(self) -> None:
        """Wait until every event seen so far is written (tests, shutdown)."""
        await self._work.join()

    async def wait_for(self, entry_id: int, predicate: Callable[[LedgerEntry], bool]) -> LedgerEntry:
        """The ledger row once `predicate` holds for it (wrap in asyncio.timeout); woken by every write."""
        async with self._written:
            while not predicate(entry := await self.ledger.get(entry_id)):
                await self._written.wait()
        return entry

    # --- console requests -----------------------------------------------------------------------
    async def emergency(self, user, target: str, mode: str, summary: str = "", ticket: str | None = None) -> LedgerEntry:
        if target not in EMERGENCY_NUMBERS or target not in self.settings.emergency_targets:
            raise TransferError("transfer.emergency.unknown_target", "只能转接110、119、120、122", 400, target)
        if mode not in ("blind", "threeway"):
            raise TransferError("transfer.mode.invalid", "转接方式只能是一键转接或三方通话", 400, mode)
        dial = self.settings.emergency_targets[target]
        call, ticket = await self._prepare(user, ticket)
        if mode == "blind":
            return await self._blind(user, call, "emergency", target, dial, summary, ticket,
                                     [act.BlindTransfer(call.agent_channel, self.settings.linkage_context, target)])
        return await self._conference(user, call, "emergency", target, dial, "threeway", summary, ticket,
                                      self.settings.emergency_ring_timeout)

    async def subcenter(self, user, *, line: str | None = None, target: str | None = None, mode: str = "attended",
                        summary: str = "", ticket: str | None = None) -> LedgerEntry:
        if mode not in ("blind", "attended"):
            raise TransferError("transfer.mode.invalid", "转接方式只能是直接转接或咨询转接", 400, mode)
        label, dial = await self._subcenter_dial(line, target)
        call, ticket = await self._prepare(user, ticket)
        timeout = self.settings.subcenter_ring_timeout
        if mode == "blind":
            steps = [act.Setvar(call.citizen_channel, "HOTLINE_DIAL", dial),
                     act.Setvar(call.citizen_channel, "HOTLINE_OVERFLOW_AFTER", str(timeout)),
                     act.BlindTransfer(call.agent_channel, self.settings.subcenter_context, "subcenter")]
            return await self._blind(user, call, "subcenter", label, dial, summary, ticket, steps)
        return await self._conference(user, call, "subcenter", label, dial, "attended", summary, ticket, timeout)

    async def follow_ivr(self, *, channel: str, linkedid: str | None, caller: str | None, target: str,
                         ticket: str | None, trigger: str) -> LedgerEntry:
        """The IVR sent the citizen to an emergency line: a ledger row follows the dialplan's Dial() on the
        citizen's channel ([emergency-linkage]) as for an agent's blind transfer, answered, busy or not."""
        machine = TransferMachine(BLIND, channel, "")
        machine.state = State.DIALING  # the Dial() comes right after the AGI session, nothing to confirm first
        entry = await self.ledger.open(
            kind="emergency", ticket=ticket, citizen_number=caller or None, linkedid=linkedid or "",
            citizen_channel=channel, agent_channel="", target=target,
            dial=self.settings.emergency_targets.get(target, target), mode="blind", actor=IVR_ACTOR,
            state=State.DIALING.value, result=None, detail="", summary=" ".join(trigger.split())[:SUMMARY_MAX],
            started_at=self._clock())
        self._live[entry.id] = _Live(entry, machine, None, IVR_ACTOR)
        return entry

    async def leave(self, user, entry_id: int) -> LedgerEntry:
        """The agent hangs up once the other side has taken over; citizen and target stay (trace 09a part 2)."""
        live = self._live.get(entry_id)
        if live is None or live.machine.state is not State.CONFERENCE:
            raise TransferError("transfer.leave.not_in_conference", "当前不在三方通话中", 409)
        if live.entry.actor != user.username:
            raise TransferError("transfer.leave.not_yours", "只能退出自己发起的三方通话", 403)
        await self._send(live.client, act.Hangup(live.machine.agent))
        return live.entry

    async def get(self, entry_id: int) -> LedgerEntry:
        return await self.ledger.get(entry_id)

    # --- starting -------------------------------------------------------------------------------
    async def _prepare(self, user, ticket: str | None) -> tuple[AgentCall, str | None]:
        interface = getattr(user, "phone_interface", None)
        if not interface:
            raise TransferError("transfer.no_phone", "账号未绑定话机，无法转接", 409)
        call = self.calls.of(interface)
        if call is None:
            raise TransferError("transfer.no_call", "当前没有正在进行的通话", 409, interface)
        if any(live.machine.citizen == call.citizen_channel and not live.machine.done for live in self._live.values()):
            raise TransferError("transfer.busy", "这通电话正在转接中", 409)
        if ticket:
            try:
                await self._tickets.get(ticket)
            except Exception as exc:  # noqa: BLE001 - the ticket store's not-found is its own type
                raise TransferError("transfer.ticket.unknown", "工单不存在", 404, ticket) from exc
        else:
            ticket = await self._ticket_of(call)
        return call, ticket

    async def _ticket_of(self, call: AgentCall) -> str | None:
        """The call's own ticket (the IVR's draft), so a ledger row names it even when the console did not."""
        if not call.linkedid or self._tickets is None:
            return None
        try:
            found = await self._tickets.search(call_id=call.linkedid, limit=1)
        except Exception:  # noqa: BLE001 - a ledger row without a ticket beats a refused transfer
            log.warning("transfer: ticket lookup for call %s failed", call.linkedid, exc_info=True)
            return None
        return found[0].number if found else None

    async def _subcenter_dial(self, line: str | None, target: str | None) -> tuple[str, str]:
        if line:
            info = await self._lines.get(str(line)) if self._lines else None
            dial = subcenter_dial(info, self.settings.subcenter_queue_context) if info is not None else None
            if dial is None:
                raise TransferError("transfer.subcenter.unknown_line", "该热线没有可转接的分中心号码或队列", 404, str(line))
            return info.number, dial
        if target and DIAL_STRING.fullmatch(str(target)):
            return str(target), str(target)
        raise TransferError("transfer.subcenter.bad_target", "请选择要转接的分中心", 400, str(target or ""))

    def _client(self, call: AgentCall):
        client = self._clients.get(call.server) if call.server else None
        client = client or next(iter(self._clients.values()), None)
        if client is None:
            raise TransferError("transfer.ami.unavailable", "交换机未连接，无法转接", 503)
        return client

    async def _open(self, user, call: AgentCall, kind: str, target: str, dial: str, mode: str, summary: str,
                    ticket: str | None, machine: TransferMachine) -> _Live:
        entry = await self.ledger.open(
            kind=kind, ticket=ticket, citizen_number=call.citizen_number or None, linkedid=call.linkedid,
            citizen_channel=call.citizen_channel, agent_channel=call.agent_channel, target=target, dial=dial,
            mode=mode, actor=user.username, state=State.REQUESTED.value, result=None, detail="",
            summary=" ".join(summary.split())[:SUMMARY_MAX], started_at=self._clock())
        live = _Live(entry, machine, self._client(call), user.username)
        self._live[entry.id] = live
        return live

    async def _blind(self, user, call, kind, target, dial, summary, ticket, steps) -> LedgerEntry:
        machine = TransferMachine(BLIND, call.citizen_channel, call.agent_channel)
        live = await self._open(user, call, kind, target, dial, "blind", summary, ticket, machine)
        try:
            for step in steps:
                await self._send(live.client, step)
        except TransferError as exc:
            self._refused(live, exc)
            await self.drain()
            raise
        return live.entry

    async def _conference(self, user, call, kind, target, dial, mode, summary, ticket, timeout) -> LedgerEntry:
        machine = TransferMachine(CONFERENCE, call.citizen_channel, call.agent_channel)
        live = await self._open(user, call, kind, target, dial, mode, summary, ticket, machine)
        machine.conference = f"linkage-{live.entry.id}"
        caller_id = f"{call.citizen_number or self.settings.caller_id} <{call.citizen_number or self.settings.caller_id}>"
        try:
            response = await self._send(live.client, act.OriginateIntoConference(dial, machine.conference, caller_id, timeout))
        except TransferError as exc:
            self._refused(live, exc)
            await self.drain()
            raise
        action_id = response.get("ActionID") or ""
        self._changed(live, machine.originated(action_id))
        early = self._unclaimed.pop(action_id, None)
        if early is not None:
            self._changed(live, machine.feed(early))
        return live.entry

    async def _send(self, client, action):
        try:
            return await act.send(client, action)
        except AmiActionError as exc:
            raise TransferError("transfer.ami.refused", "交换机拒绝了转接操作", 502, exc.message) from exc
        except AmiError as exc:  # timeout / connection lost: Asterisk may still have done it
            raise TransferError("transfer.ami.no_answer", "交换机未应答，请查看转接状态", 504, str(exc)) from exc

    def _refused(self, live: _Live, exc: TransferError) -> None:
        """Only an explicit refusal fails the transfer; after a timeout the events still decide (blind)."""
        uncertain = exc.error_id == "transfer.ami.no_answer" and live.machine.kind == BLIND
        if not uncertain and not live.machine.done:
            self._changed(live, live.machine.action_refused(exc.detail or exc.error_id))

    # --- following the events -------------------------------------------------------------------
    def handle(self, event: ev.AmiEvent) -> None:
        """Inline AMI subscriber: no awaiting here, only state changes queued for the worker."""
        self.calls.handle(event)
        claimed = False
        for live in list(self._live.values()):
            change = live.machine.feed(event)
            if change is not None:
                claimed = True
                self._changed(live, change)
        if not claimed and isinstance(event, ev.OriginateResponse) and event.action_id:
            self._unclaimed[event.action_id] = event
            while len(self._unclaimed) > 64:
                self._unclaimed.popitem(last=False)

    def _changed(self, live: _Live, change: Change | None) -> None:
        if change is not None:
            self._work.put_nowait((live, change, self._clock()))

    async def _run(self) -> None:
        while True:
            live, change, at = await self._work.get()
            try:
                await self._apply(live, change, at)
            except Exception:  # noqa: BLE001 - one bad step must not stop the ledger
                log.exception("transfer.apply_failed id=%s change=%s", live.entry.id, change)
            finally:
                self._work.task_done()
                async with self._written:
                    self._written.notify_all()

    async def _apply(self, live: _Live, change: Change, at: datetime) -> None:
        machine = live.machine
        values: dict = {}
        if change.after is not change.before:
            values["state"] = change.after.value
            if change.detail:
                values["detail"] = change.detail[:200]
            if change.after in RESULT_OF and (live.entry.result is None or change.after is not State.ANSWERED):
                values["result"] = RESULT_OF[change.after]
            if change.after is State.ANSWERED:
                values["answered_at"] = at
            if change.after in TERMINAL:
                values["ended_at"] = at
        if values:
            live.entry = await self.ledger.update(live.entry.id, **values)
            if "result" in values:
                await self._log_ticket(live, values["result"], at)
        for effect in change.effects:
            await self._effect(live, effect)
        waiting_for_late_answer = (machine.state is State.FAILED and machine.kind == CONFERENCE
                                   and machine.action_id and not machine.target_channel)
        if machine.done and not waiting_for_late_answer:
            self._live.pop(live.entry.id, None)

    async def _effect(self, live: _Live, effect: str) -> None:
        machine = live.machine
        try:
            if effect == JOIN:
                exten = "7" + machine.conference.removeprefix("linkage-")
                await self._send(live.client, act.Redirect(machine.citizen, self.settings.conference_context, exten,
                                                           extra_channel=machine.agent))
            elif effect == KICK:
                await self._send(live.client, act.ConfbridgeKick(machine.conference))
        except TransferError as exc:
            if effect == JOIN and not machine.done:
                self._changed(live, machine.go(State.FAILED, KICK, detail=exc.detail))
            else:
                log.info("transfer.kick_refused id=%s %s", live.entry.id, exc.detail)

    async def _log_ticket(self, live: _Live, result: str, at: datetime) -> None:
        entry = live.entry
        if not entry.ticket or self._tickets is None:
            return
        trigger = entry.summary[:64] or ("坐席一键转接" if entry.mode == "blind" else "坐席三方通话")
        # the ticket store allows 16 characters
        kind = "ivr" if entry.actor == IVR_ACTOR else "agent" if entry.kind == "emergency" else "sub"
        try:
            await self._tickets.log_linkage(entry.ticket, at=at, target=entry.target[:16], trigger=trigger,
                                            trigger_kind=f"{kind}_{entry.mode}", result=result,
                                            actor=entry.actor)
        except Exception:  # noqa: BLE001 - the ledger row stays the record of truth
            log.exception("transfer.ticket_log_failed ticket=%s", entry.ticket)
