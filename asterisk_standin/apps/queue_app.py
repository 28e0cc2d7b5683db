"""Queue(name,options,URL,announceoverride,timeout): the caller side of app_queue.

Event orders follow the traces: answered (fact 15), abandon (16), timeout / strict joinempty (17),
QUEUE_PRIO positions (35/38), wrap-up on whole seconds (46).
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..bridging import close_bridge, open_bridge, release_others, stay_bridged
from ..calling import OutboundLeg
from ..channels import ChannelHungUp, ChannelRedirected
from ..queue_model import INUSE, NOT_INUSE, RINGING_STATE, Caller, Member, Queue

if TYPE_CHECKING:
    from ..channels import Channel
    from ..pbx import Pbx

HANGUP = "hangup"
RECHECK = 1.0  # app_queue re-checks "is it my turn" once a second (wait_our_turn)


async def queue_app(pbx: Pbx, chan: Channel, data: str) -> str | None:
    args = data.split(",")
    name = args[0].strip()
    options = args[1] if len(args) > 1 else ""
    timeout = float(args[4]) if len(args) > 4 and args[4].strip() else None
    position = int(args[8]) if len(args) > 8 and args[8].strip().isdigit() else 0  # Queue(...,rule,position) in 22
    engine = pbx.queues
    q = engine.queues.get(name)
    if q is None:
        pbx.set_var(chan, "QUEUESTATUS", "UNKNOWN")
        return None
    if not engine.can_join(q):
        pbx.set_var(chan, "QUEUESTATUS", "JOINEMPTY")
        return None
    if q.maxlen and len(q.callers) >= q.maxlen:
        pbx.set_var(chan, "QUEUESTATUS", "FULL")
        return None
    try:
        prio = int(chan.variables.get("QUEUE_PRIO", "0") or 0)
    except ValueError:
        prio = 0
    caller = engine.insert_caller(q, chan, prio, position)
    pos = engine.position(q, caller)
    pbx.chan_event("QueueCallerJoin", chan, ("Queue", q.name), ("Position", pos), ("Count", len(q.callers)), privilege="agent,all")
    engine.log(chan.uniqueid, q.name, "NONE", "ENTERQUEUE", "", chan.caller_num or "", pos)
    caller.moh = "r" not in options  # r: the caller hears ringing instead of music (no MusicOnHold events)
    if caller.moh:
        pbx.chan_event("MusicOnHoldStart", chan, ("Class", q.musicclass))
    deadline = pbx.clock.now() + timeout if timeout else None
    try:
        return await _wait_loop(pbx, q, caller, deadline, options)
    except (ChannelHungUp, ChannelRedirected):
        if caller in q.callers:
            _abandon(pbx, q, caller, moh_first=True)
        raise


def _abandon(pbx: Pbx, q: Queue, caller: Caller, *, moh_first: bool, timeout: bool = False) -> None:
    """AMI sends QueueCallerAbandon for a hang-up and a timeout alike; queue_log tells them apart
    (ABANDON / EXITWITHTIMEOUT, both `position|original position|wait`)."""
    chan = caller.chan
    pos = pbx.queues.position(q, caller)
    hold = int(pbx.clock.now() - caller.joined)
    if moh_first:
        _moh_stop(pbx, caller)
    pbx.chan_event("QueueCallerAbandon", chan, ("Queue", q.name), ("Position", pos), ("OriginalPosition", caller.original_position),
                   ("HoldTime", hold), privilege="agent,all")
    if not moh_first:
        _moh_stop(pbx, caller)
    q.callers.remove(caller)
    q.abandoned += 1
    pbx.queues.log(chan.uniqueid, q.name, "NONE", "EXITWITHTIMEOUT" if timeout else "ABANDON", pos, caller.original_position, hold)
    pbx.chan_event("QueueCallerLeave", chan, ("Queue", q.name), ("Position", pos), ("Count", len(q.callers)), privilege="agent,all")
    q.notify()


async def _wait_loop(pbx: Pbx, q: Queue, caller: Caller, deadline: float | None, options: str) -> str | None:
    engine = pbx.queues
    chan = caller.chan
    while True:
        remaining = None if deadline is None else deadline - pbx.clock.now()
        if remaining is not None and remaining <= 0:
            _abandon(pbx, q, caller, moh_first=False, timeout=True)
            pbx.set_var(chan, "QUEUESTATUS", "TIMEOUT")
            return None
        free = sum(1 for m in q.members.values() if engine.available(q, m))
        if free and q.callers.index(caller) < free:
            members = engine.pick(q)
            if members:
                result = await _ring(pbx, q, caller, members, remaining, options)
                if result != "retry":
                    return result
                await chan.sleep(q.retry if remaining is None else min(q.retry, max(0.0, deadline - pbx.clock.now())))
                continue
        await chan.sleep(RECHECK if remaining is None else min(RECHECK, remaining))


async def _ring(pbx: Pbx, q: Queue, caller: Caller, members: list[Member], remaining: float | None, options: str) -> str | None:
    engine = pbx.queues
    chan = caller.chan
    legs: list[tuple[OutboundLeg, Member]] = []
    for m in members:
        leg = OutboundLeg(pbx, chan, m.interface, "AppQueue")
        if not leg.create():
            continue
        m.ringing = True
        m.last_offered = pbx.clock.now()
        pbx.two_chan_event("AgentCalled", chan, leg.chan, ("Queue", q.name), ("Interface", m.interface), ("MemberName", m.name),
                           privilege="agent,all")
        pbx.two_chan_event("DialBegin", chan, leg.chan, ("DialString", leg.dial_string))
        leg.ringing_task = None
        legs.append((leg, m))
        leg.start()
    if not legs:
        return "retry"
    ring_for = q.timeout if remaining is None else min(q.timeout, remaining)
    winner = await _first_answer(pbx, chan, legs, ring_for)
    for _leg, m in legs:
        m.ringing = False
    if not chan.alive or chan.redirect_to is not None:
        _moh_stop(pbx, caller)
        for leg, m in legs:
            pbx.two_chan_event("DialEnd", chan, leg.chan, ("DialStatus", "CANCEL"))
            pbx.two_chan_event("DialEnd", chan, leg.chan, ("DialStatus", "CANCEL"))
            leg.cancel(0)
            if winner is None:  # ring_entry's RINGCANCELED: ms this member rang before the caller left
                engine.log(chan.uniqueid, q.name, m.name, "RINGCANCELED", int((pbx.clock.now() - leg.started) * 1000))
        _abandon_after_ring(pbx, q, caller)
        for _leg, m in legs:
            engine.set_member_status(m.interface, _idle_status(engine, m))
        chan.check()
    if winner is None:
        for leg, m in legs:
            if leg.chan is not None and not leg.chan.gone:
                pbx.two_chan_event("DialEnd", chan, leg.chan, ("DialStatus", "NOANSWER"))
                pbx.two_chan_event("AgentRingNoAnswer", chan, leg.chan, ("Queue", q.name), ("Interface", m.interface),
                                   ("MemberName", m.name), ("RingTime", int(pbx.clock.now() - leg.started)), privilege="agent,all")
                engine.log(chan.uniqueid, q.name, m.name, "RINGNOANSWER", int((pbx.clock.now() - leg.started) * 1000))
            leg.cancel(0)
            engine.set_member_status(m.interface, _idle_status(engine, m))
        return "retry"
    win_leg, member = winner
    for leg, m in legs:
        if leg is not win_leg:
            pbx.two_chan_event("DialEnd", chan, leg.chan, ("DialStatus", "CANCEL"))
            leg.cancel(0)
            engine.set_member_status(m.interface, _idle_status(engine, m))
    return await _connect(pbx, q, caller, win_leg, member, options)


def _abandon_after_ring(pbx: Pbx, q: Queue, caller: Caller) -> None:
    chan = caller.chan
    pos = pbx.queues.position(q, caller)
    hold = int(pbx.clock.now() - caller.joined)
    pbx.chan_event("QueueCallerAbandon", chan, ("Queue", q.name), ("Position", pos), ("OriginalPosition", caller.original_position),
                   ("HoldTime", hold), privilege="agent,all")
    q.callers.remove(caller)
    q.abandoned += 1
    pbx.queues.log(chan.uniqueid, q.name, "NONE", "ABANDON", pos, caller.original_position, hold)
    pbx.chan_event("QueueCallerLeave", chan, ("Queue", q.name), ("Position", pos), ("Count", len(q.callers)), privilege="agent,all")
    q.notify()


async def _first_answer(pbx: Pbx, chan: Channel, legs: list[tuple[OutboundLeg, Member]], ring_for: float):
    """Wait for the first leg to answer, the ring timeout, or the caller hanging up."""
    engine = pbx.queues
    pending = {}
    for leg, m in legs:
        pending[asyncio.ensure_future(leg.answered.wait())] = (leg, m)
        pending[asyncio.ensure_future(leg.ringing.wait())] = (leg, m, "ring")
    hung = asyncio.ensure_future(chan.attention.wait())
    end = pbx.clock.now() + ring_for
    winner = None
    try:
        while winner is None and chan.alive and chan.redirect_to is None:
            left = end - pbx.clock.now()
            if left <= 0 or not pending:
                break
            done, _ = await asyncio.wait({*pending, hung}, timeout=pbx.clock.real_seconds(left), return_when=asyncio.FIRST_COMPLETED)
            if not done:
                break
            for fut in done:
                if fut is hung:
                    continue
                info = pending.pop(fut)
                leg, m = info[0], info[1]
                if len(info) == 3:  # a ringing phone is RINGING (6) to app_queue, not INUSE (trace 02b)
                    engine.set_member_status(m.interface, RINGING_STATE)
                    pbx.two_chan_event("DialState", chan, leg.chan, ("DialStatus", "RINGING"))
                elif leg.chan is not None and leg.chan.alive and winner is None:
                    engine.set_member_status(m.interface, INUSE)
                    winner = (leg, m)
            if all(leg.chan is None or not leg.chan.alive for leg, _ in legs):
                break
    finally:
        for fut in [*pending, hung]:
            fut.cancel()
        await asyncio.gather(*pending, hung, return_exceptions=True)
    return winner


async def _connect(pbx: Pbx, q: Queue, caller: Caller, leg: OutboundLeg, m: Member, options: str) -> str | None:
    engine = pbx.queues
    chan = caller.chan
    agent = leg.chan
    pbx.two_chan_event("DialEnd", chan, agent, ("DialStatus", "ANSWER"))
    _moh_stop(pbx, caller)
    pos = engine.position(q, caller)
    q.callers.remove(caller)
    q.notify()
    hold = int(pbx.clock.now() - caller.joined)
    ring = int(pbx.clock.now() - leg.started)
    pbx.chan_event("QueueCallerLeave", chan, ("Queue", q.name), ("Position", pos), ("Count", len(q.callers)), privilege="agent,all")
    agent_fields = (("Queue", q.name), ("Interface", m.interface), ("MemberName", m.name))
    pbx.two_chan_event("AgentConnect", chan, agent, *agent_fields, ("HoldTime", hold), ("RingTime", ring), privilege="agent,all")
    engine.log(chan.uniqueid, q.name, m.name, "CONNECT", hold, agent.uniqueid, ring)
    m.in_call = True
    pbx.set_var(chan, "MEMBERINTERFACE", m.interface)
    pbx.set_var(chan, "MEMBERNAME", m.name)
    caller.connected = True
    start = pbx.clock.now()
    if chan.state != 6:
        pbx.answer(chan)  # ast_bridge_call's pre_bridge_setup answers a caller still ringing (a Local ;2)
    bridge = open_bridge(pbx, agent, chan)
    done = []

    def complete(who: str) -> None:
        if done:
            return
        done.append(who)
        talk = int(pbx.clock.now() - start)
        pbx.two_chan_event("AgentComplete", chan, agent, *agent_fields, ("HoldTime", hold), ("TalkTime", talk), ("Reason", who),
                           privilege="agent,all")
        if who == "transfer" and chan.redirect_to is not None:  # the caller was sent elsewhere (BlindTransfer)
            context, exten, _prio = chan.redirect_to
            engine.log(chan.uniqueid, q.name, m.name, "BLINDTRANSFER", exten, context, hold, talk, caller.original_position)
        elif who == "transfer":
            # The agent's channel was moved out of the bridge (AMI Redirect): not verified against a
            # real queue_log; logged as the agent ending the call. An attended transfer's
            # ATTENDEDTRANSFER line is not written by the stand-in yet.
            engine.log(chan.uniqueid, q.name, m.name, "COMPLETEAGENT", hold, talk, caller.original_position)
        else:
            engine.log(chan.uniqueid, q.name, m.name, "COMPLETEAGENT" if who == "agent" else "COMPLETECALLER",
                       hold, talk, caller.original_position)
        m.in_call = False
        m.calls_taken += 1
        m.last_call = int(pbx.clock.now())
        q.completed += 1
        q.holdtime = (q.holdtime * (q.completed - 1) + hold) / q.completed
        q.talktime = (q.talktime * (q.completed - 1) + talk) / q.completed

    def on_leave(member, why: str) -> None:
        if member is agent:
            complete("agent" if why == "hangup" else "transfer")

    outcome = await stay_bridged(pbx, bridge, chan, on_leave)
    complete({"caller": "caller", "moved": "transfer"}.get(outcome, "agent"))
    if outcome == "moved":
        pbx.bridge_leave(chan)
    release_others(pbx, bridge, chan)
    close_bridge(pbx, bridge)
    engine.set_member_status(m.interface, _idle_status(engine, m))
    if outcome == "moved":
        raise ChannelRedirected()
    if outcome == "caller":
        chan.hangup_cause = 16
        raise ChannelHungUp()
    if "c" in options:
        return None
    pbx.request_hangup(chan, 16)
    return HANGUP


def _idle_status(engine, m: Member) -> int:
    """Device state after our leg is gone (a Local member is idle again)."""
    if m.state_interface.startswith("Local/"):
        return NOT_INUSE
    return engine._device_status(m)


def _moh_stop(pbx: Pbx, caller: Caller) -> None:
    if caller.moh:
        pbx.chan_event("MusicOnHoldStop", caller.chan)
