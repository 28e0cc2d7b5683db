"""Channel actions: Originate, Hangup, Getvar/Setvar, Status, CoreShowChannels, PlayDTMF, Redirect."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..ami_wire import error, response, success
from ..callerid import parse_callerid
from ..channels import RING, RINGING, UP, channel_block

if TYPE_CHECKING:
    from ..ami_server import AmiServer, AmiSession
    from ..ami_wire import Request
    from ..channels import Channel
    from ..pbx import Pbx


async def originate(server: AmiServer, s: AmiSession, req: Request) -> None:
    aid = req.action_id
    pbx = server.pbx
    target = req.get("Channel").strip()
    if not target:
        s.send(error(aid, "Channel not specified"))
        return
    app = req.get("Application").strip()
    exten, context, prio = req.get("Exten").strip(), req.get("Context").strip(), req.get("Priority").strip() or ("1" if req.has("Exten") else "")
    if not app and (exten and not context):
        s.send(error(aid, "Originate with 'Exten' requires 'Context' and 'Priority'"))
        return
    if not app and not exten:
        s.send(error(aid, "Originate with 'Exten' requires 'Context' and 'Priority'"))
        return
    is_async = req.get("Async").strip().lower() in ("true", "yes", "1", "on")
    timeout = float(req.get("Timeout") or 30000) / 1000
    cid_name, cid_num = parse_callerid(req.get("CallerID")) if req.has("CallerID") else (None, None)
    variables = []
    for spec in req.get_all("Variable"):
        for part in spec.split(","):
            if "=" in part:
                variables.append(tuple(part.split("=", 1)))
    if is_async:
        # manager.c: an async Originate dials on its own thread (fast_originate); the session reads
        # the next action at once, so many calls can be placed back to back
        s.send(success(aid, "Originate successfully queued"))
        pbx.spawn(_originate_async(pbx, aid, target, app, req.get("Data"), context, exten, int(prio or 1),
                                   cid_num, cid_name, timeout, variables), name=f"originate {target}")
        return
    ok, chan = await originate_call(pbx, target, app=app, data=req.get("Data"), context=context, exten=exten, priority=int(prio or 1),
                                    cid_num=cid_num, cid_name=cid_name, ring_timeout=timeout, variables=variables)
    if ok:
        await asyncio.sleep(0)
        s.send(success(aid, "Originate successfully queued"))
    else:
        s.send(error(aid, "Originate failed"))


async def _originate_async(pbx: Pbx, aid, target, app, data, context, exten, priority, cid_num, cid_name, timeout,
                           variables) -> None:
    ok, chan = await originate_call(pbx, target, app=app, data=data, context=context, exten=exten, priority=priority,
                                    cid_num=cid_num, cid_name=cid_name, ring_timeout=timeout, variables=variables)
    if ok:
        await asyncio.sleep(0)
    fields = [("Response", "Success" if ok else "Failure"), ("Channel", chan.name if ok and chan else target)]
    fields += [("Application", app), ("Data", data)] if app else [("Context", context), ("Exten", exten)]
    fields += [("Reason", 4 if ok else failure_reason(chan)), ("Uniqueid", chan.uniqueid if ok and chan else "<unknown>"),
               ("CallerIDNum", cid_num or "<unknown>"), ("CallerIDName", cid_name or "<unknown>")]
    msg = [("Event", "OriginateResponse"), ("Privilege", "call,all")]
    if aid is not None:
        msg.append(("ActionID", aid))
    pbx.emit_raw("OriginateResponse", msg + fields)


async def originate_call(pbx: Pbx, target: str, *, app: str = "", data: str = "", context: str = "", exten: str = "",
                         priority: int = 1, cid_num: str | None = None, cid_name: str | None = None, ring_timeout: float = 30.0,
                         variables: list[tuple[str, str]] | None = None) -> tuple[bool, Channel | None]:
    """Dial `target` (Local/… or a simulated endpoint); on answer run Application or Context/Exten."""
    if not target.startswith("Local/"):
        return await _originate_endpoint(pbx, target, app, data, context, exten, priority, cid_num, cid_name, ring_timeout,
                                         variables or [])
    dest = target[len("Local/"):].split("/", 1)[0]
    one, two = pbx.new_local_pair(dest)
    one.owned = True
    for name, value in variables or []:
        pbx.set_var(one, name, value)
        pbx.set_var(two, name, value)
    pbx.newexten(one, "AppDial2", "(Outgoing Line)")
    if not pbx.has_extension(two.context, two.exten):
        if cid_num or cid_name:
            _set_cids(pbx, one, two, cid_num, cid_name)
        one.owned = False
        one.peer = two.peer = None
        pbx.destroy(two, 0)
        if not one.gone:
            pbx.destroy(one, 0)
        return False, None
    if cid_num or cid_name:
        _set_cids(pbx, one, two, cid_num, cid_name)
    pbx.local_bridge_event(one, two)
    pbx.emit("DialBegin", "call,all", [*channel_block(one, "Dest"), ("DialString", dest)])
    pbx.start_dialplan(two)
    answered = await _wait_up(pbx, one, ring_timeout)
    if not answered:
        if one.alive:
            pbx.emit("DialEnd", "call,all", [*channel_block(one, "Dest"), ("DialStatus", "NOANSWER")])
        one.owned = False
        pbx.destroy(one, 0)
        return False, None
    pbx.emit("DialEnd", "call,all", [*channel_block(one, "Dest"), ("DialStatus", "ANSWER")])
    one.owned = False
    if app:
        pbx.start_app(one, app, data)
    else:
        one.context, one.exten, one.priority = context, exten, priority
        pbx.start_dialplan(one)
    return True, one


def _set_cids(pbx: Pbx, one: Channel, two: Channel, num: str | None, name: str | None) -> None:
    pbx.set_callerid(one, num, name)
    pbx.set_connected(one, num, name)
    pbx.set_callerid(two, num, name)
    pbx.set_connected(two, num, name)


async def _wait_up(pbx: Pbx, chan: Channel, sim_seconds: float) -> bool:
    up = asyncio.ensure_future(chan.answered.wait())
    gone = asyncio.ensure_future(chan.hangup_event.wait())
    try:
        await asyncio.wait({up, gone}, timeout=pbx.clock.real_seconds(sim_seconds), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for fut in (up, gone):
            fut.cancel()
        await asyncio.gather(up, gone, return_exceptions=True)
    return chan.state == UP and chan.alive


async def _originate_endpoint(pbx: Pbx, target, app, data, context, exten, priority, cid_num, cid_name, ring_timeout,
                              variables=()):
    """A phone (PJSIP/8001): Originate's CallerID is the channel's own caller ID, the one its
    dialplan dials on with, and what the phone shows as the other party; Variable is set on it."""
    endpoint, dial = pbx.devices.lookup(target)
    if endpoint is None or dial is None or not endpoint.available():
        return False, None
    chan = pbx.new_channel(f"{dial.device}-{pbx.ids.channel_suffix()}", context=context or "default", exten=exten or "s", state=0)
    chan.endpoint = endpoint
    chan.owned = True
    for name, value in variables:
        pbx.set_var(chan, name, value)
    if cid_num or cid_name:
        pbx.set_callerid(chan, cid_num, cid_name)
        pbx.set_connected(chan, cid_num, cid_name)
    pbx.spawn(endpoint.on_incoming(pbx, chan), name=f"endpoint {chan.name}")
    if not await _wait_up(pbx, chan, ring_timeout):
        chan.owned = False
        chan.originate_reason = _endpoint_reason(chan)
        pbx.destroy(chan, 0)
        return False, chan
    chan.owned = False
    if app:
        pbx.start_app(chan, app, data)
    else:
        chan.priority = priority
        pbx.start_dialplan(chan)
    return True, chan


def _endpoint_reason(chan: Channel) -> int:
    """The control frame the dial ended on, as ast_request_and_dial reports it in OriginateResponse
    `Reason`: 5 busy (SIP 486: cause 17), 8 congestion (34/38/42), 3 rang out without an answer,
    1 hung up (declined), 0 failed."""
    if chan.hangup_event.is_set():
        cause = chan.hangup_cause
        return 5 if cause == 17 else 8 if cause in (34, 38, 42) else 1
    return 3 if chan.state in (RING, RINGING) else 0


def failure_reason(chan: Channel | None) -> int:
    return getattr(chan, "originate_reason", 0) if chan is not None else 0


async def hangup(server: AmiServer, s: AmiSession, req: Request) -> None:
    name = req.get("Channel").strip()
    if not name:
        s.send(error(req.action_id, "No channel specified"))
        return
    chan = server.pbx.find_channel(name)
    if chan is None:
        s.send(error(req.action_id, "No such channel"))
        return
    given = req.get("Cause").strip()
    s.send(success(req.action_id, "Channel Hungup"))
    if given.isdigit():
        server.pbx.request_hangup(chan, int(given))
    else:
        server.pbx.request_hangup(chan, 0, shown_cause=16)


def _variable_and_channel(server: AmiServer, s: AmiSession, req: Request):
    """Getvar/Setvar: the variable is required, the channel optional (global) but must exist."""
    var = req.get("Variable").strip()
    if not var:
        s.send(error(req.action_id, "No variable specified"))
        return None
    chan = None
    if req.get("Channel").strip():
        chan = server.pbx.find_channel(req.get("Channel").strip())
        if chan is None:
            s.send(error(req.action_id, "No such channel"))
            return None
    return var, chan


async def getvar(server: AmiServer, s: AmiSession, req: Request) -> None:
    from ..dialplan_exec import resolve

    found = _variable_and_channel(server, s, req)
    if found is None:
        return
    var, chan = found
    value = resolve(server.pbx, chan, var)
    s.send(response("Success", req.action_id, ("Variable", var), ("Value", value)))


async def setvar(server: AmiServer, s: AmiSession, req: Request) -> None:
    from ..dialplan_exec import set_variable

    found = _variable_and_channel(server, s, req)
    if found is None:
        return
    var, chan = found
    set_variable(server.pbx, chan, var, req.get("Value"))
    s.send(success(req.action_id, "Variable Set"))


async def status(server: AmiServer, s: AmiSession, req: Request) -> None:
    pbx, aid = server.pbx, req.action_id
    name = req.get("Channel").strip()
    if name and name.lower() != "all":
        chan = pbx.find_channel(name)
        if chan is None:
            s.send(error(aid, "No such channel"))
            return
        chans = [chan]
    else:
        chans = list(pbx.channels.values())
    s.send(response("Success", aid, ("EventList", "start"), ("Message", "Channel status will follow")))
    wanted = [v.strip() for v in req.get("Variables").split(",") if v.strip()]
    for chan in chans:
        fields = [("Event", "Status"), ("Privilege", "Call"), *channel_block(chan), ("Type", chan.tech), ("DNID", ""),
                  ("EffectiveConnectedLineNum", chan.conn_num or "<unknown>"), ("EffectiveConnectedLineName", chan.conn_name or "<unknown>"),
                  ("TimeToHangup", 0), ("BridgeID", chan.bridge.uniqueid if chan.bridge else ""), ("Application", chan.app),
                  ("Data", chan.appdata), ("Nativeformats", "(slin)"), ("Readformat", "slin"), ("Readtrans", ""),
                  ("Writeformat", "slin"), ("Writetrans", ""), ("Callgroup", 0), ("Pickupgroup", 0),
                  ("Seconds", int(pbx.clock.now() - chan.created))]
        fields += [("Variable", f"{v}={chan.variables.get(v, '')}") for v in wanted]
        if aid is not None:
            fields.append(("ActionID", aid))
        s.send(fields)
    done = [("Event", "StatusComplete")] + ([("ActionID", aid)] if aid is not None else [])
    s.send(done + [("EventList", "Complete"), ("ListItems", len(chans)), ("Items", len(chans))])


async def core_show_channels(server: AmiServer, s: AmiSession, req: Request) -> None:
    pbx, aid = server.pbx, req.action_id
    s.send(response("Success", aid, ("EventList", "start"), ("Message", "Channels will follow")))
    head = [("ActionID", aid)] if aid is not None else []
    chans = list(pbx.channels.values())
    for chan in reversed(chans):
        secs = int(pbx.clock.now() - chan.created)
        s.send([("Event", "CoreShowChannel"), *head, *channel_block(chan), ("Application", chan.app), ("ApplicationData", chan.appdata),
                ("Duration", f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"),
                ("BridgeId", chan.bridge.uniqueid if chan.bridge else "")])
    s.send([("Event", "CoreShowChannelsComplete"), *head, ("EventList", "Complete"), ("ListItems", len(chans))])


async def play_dtmf(server: AmiServer, s: AmiSession, req: Request) -> None:
    pbx = server.pbx
    name = req.get("Channel").strip()
    chan = pbx.find_channel(name) if name else None
    if chan is None:
        s.send(error(req.action_id, "Channel not found" if name else "Channel not specified"))
        return
    digit = req.get("Digit").strip()
    if not digit:
        s.send(error(req.action_id, "No digit specified"))
        return
    receive = req.get("Receive").strip().lower() in ("true", "yes", "1")
    duration = int(req.get("Duration") or 100) if req.get("Duration").strip().isdigit() else 100
    s.send(success(req.action_id, "DTMF successfully queued"))
    if receive:
        pbx.dtmf_received(chan, digit[0], duration, begin=False)
        return
    target = chan if chan.peer is None else chan.peer
    pbx.clock.call_later(duration / 1000, lambda: target.alive and pbx.dtmf_received(target, digit[0], duration + 20))


async def redirect(server: AmiServer, s: AmiSession, req: Request) -> None:
    """Redirect (single and dual), enough for P1; bridged-call details belong to transfer.py (P2)."""
    pbx, aid = server.pbx, req.action_id
    name = req.get("Channel").strip()
    if not name:
        s.send(error(aid, "Channel not specified"))
        return
    if not req.get("Context").strip():
        s.send(error(aid, "Context not specified"))
        return
    chan = pbx.find_channel(name)
    if chan is None:
        s.send(error(aid, f"Channel does not exist: {name}"))
        return
    extra = None
    if req.get("ExtraChannel").strip():
        extra = pbx.find_channel(req.get("ExtraChannel").strip())
        if extra is None:
            s.send(error(aid, f"ExtraChannel does not exist: {req.get('ExtraChannel').strip()}"))
            return
    from ..redirect import redirect_channel

    redirect_channel(pbx, chan, req.get("Context").strip(), req.get("Exten").strip(), int(req.get("Priority") or 1))
    if extra is not None:
        redirect_channel(pbx, extra, req.get("ExtraContext").strip() or req.get("Context").strip(),
                         req.get("ExtraExten").strip() or req.get("Exten").strip(), int(req.get("ExtraPriority") or 1))
        s.send(success(aid, "Dual Redirect successful"))
    else:
        s.send(success(aid, "Redirect successful"))


CALL_ACTIONS = {
    "originate": originate, "hangup": hangup, "getvar": getvar, "setvar": setvar, "status": status,
    "coreshowchannels": core_show_channels, "playdtmf": play_dtmf, "redirect": redirect,
}
