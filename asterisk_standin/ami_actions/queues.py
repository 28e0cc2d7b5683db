"""Queue actions: QueueAdd/Remove/Pause/Penalty/Status/Summary/Reload/Reset/Log (facts 18, 36, 37, 44–48)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ami_wire import error, response, success

if TYPE_CHECKING:
    from ..ami_server import AmiServer, AmiSession
    from ..ami_wire import Request


def _true(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "1", "on")


async def queue_add(server: AmiServer, s: AmiSession, req: Request) -> None:
    aid = req.action_id
    queue, iface = req.get("Queue").strip(), req.get("Interface").strip()
    if not queue:
        s.send(error(aid, "'Queue' not specified."))
        return
    if not iface:
        s.send(error(aid, "'Interface' not specified."))
        return
    penalty = int(req.get("Penalty")) if req.get("Penalty").strip().lstrip("-").isdigit() else 0
    result = server.pbx.queues.add_member(queue, iface, name=req.get("MemberName").strip(), penalty=penalty,
                                          paused=_true(req.get("Paused")), reason=req.get("Reason"),
                                          state_interface=req.get("StateInterface").strip())
    if result == "ok":
        s.send(success(aid, "Added interface to queue"))
    elif result == "exists":
        s.send(error(aid, "Unable to add interface: Already there"))
    else:
        s.send(error(aid, "Unable to add interface to queue: No such queue"))


async def queue_remove(server: AmiServer, s: AmiSession, req: Request) -> None:
    aid = req.action_id
    queue, iface = req.get("Queue").strip(), req.get("Interface").strip()
    if not queue or not iface:
        s.send(error(aid, "Need 'Queue' and 'Interface' parameters."))
        return
    result = server.pbx.queues.remove_member(queue, iface)
    s.send({
        "ok": success(aid, "Removed interface from queue"),
        "notthere": error(aid, "Unable to remove interface: Not there"),
        "nosuchqueue": error(aid, "Unable to remove interface from queue: No such queue"),
        "notdynamic": error(aid, "Member not dynamic"),
    }[result])


async def queue_pause(server: AmiServer, s: AmiSession, req: Request) -> None:
    aid = req.action_id
    iface, paused = req.get("Interface").strip(), req.get("Paused").strip()
    if not iface or not paused:
        s.send(error(aid, "Need 'Interface' and 'Paused' parameters."))
        return
    on = _true(paused)
    if not server.pbx.queues.pause_member(req.get("Queue").strip() or None, iface, on, req.get("Reason")):
        s.send(error(aid, "Interface not found"))
        return
    s.send(success(aid, "Interface paused successfully" if on else "Interface unpaused successfully"))


async def queue_penalty(server: AmiServer, s: AmiSession, req: Request) -> None:
    aid = req.action_id
    iface, pen = req.get("Interface").strip(), req.get("Penalty").strip()
    if not iface or not pen.lstrip("-").isdigit():
        s.send(error(aid, "Need 'Interface' and 'Penalty' parameters."))
        return
    if not server.pbx.queues.set_penalty(req.get("Queue").strip() or None, iface, int(pen)):
        s.send(error(aid, "Invalid interface, queuename or penalty"))
        return
    s.send(success(aid, "Interface penalty set successfully"))


def _tail(aid) -> list:
    return [("ActionID", aid)] if aid is not None else []


async def queue_status(server: AmiServer, s: AmiSession, req: Request) -> None:
    aid, engine, now = req.action_id, server.pbx.queues, server.pbx.clock.now()
    s.send(response("Success", aid, ("EventList", "start"), ("Message", "Queue status will follow")))
    want_q, want_m = req.get("Queue").strip(), req.get("Member").strip()
    items = 0
    for q in engine.queues.values():
        if want_q and q.name != want_q:
            continue
        s.send([("Event", "QueueParams"), ("Queue", q.name), ("Max", q.maxlen), ("Strategy", q.strategy), ("Calls", len(q.callers)),
                ("Holdtime", int(q.holdtime)), ("TalkTime", int(q.talktime)), ("Completed", q.completed), ("Abandoned", q.abandoned),
                ("ServiceLevel", q.servicelevel), ("ServicelevelPerf", "0.0"), ("ServicelevelPerf2", "0.0"), ("Weight", q.weight), *_tail(aid)])
        items += 1
        for m in q.members.values():
            if want_m and m.interface != want_m:
                continue
            s.send([("Event", "QueueMember"), ("Queue", q.name), ("Name", m.name), ("Location", m.interface),
                    ("StateInterface", m.state_interface), ("Membership", "dynamic" if m.dynamic else "static"), ("Penalty", m.penalty),
                    ("CallsTaken", m.calls_taken), ("LastCall", m.last_call), ("LastPause", m.last_pause), ("LoginTime", m.login_time),
                    ("InCall", int(m.in_call)), ("Status", m.status), ("Paused", int(m.paused)), ("PausedReason", m.paused_reason),
                    ("Wrapuptime", m.wrapuptime), *_tail(aid)])
            items += 1
        for pos, c in enumerate(q.callers, start=1):
            ch = c.chan
            s.send([("Event", "QueueEntry"), ("Queue", q.name), ("Position", pos), ("Channel", ch.name), ("Uniqueid", ch.uniqueid),
                    ("CallerIDNum", ch.caller_num or "<unknown>"), ("CallerIDName", ch.caller_name or "<unknown>"),
                    ("ConnectedLineNum", ch.conn_num or "<unknown>"), ("ConnectedLineName", ch.conn_name or "<unknown>"),
                    ("Wait", int(now - c.joined)), ("Priority", c.prio), *_tail(aid)])
            items += 1
    s.send([("Event", "QueueStatusComplete"), *_tail(aid), ("EventList", "Complete"), ("ListItems", items)])


async def queue_summary(server: AmiServer, s: AmiSession, req: Request) -> None:
    aid, engine, now = req.action_id, server.pbx.queues, server.pbx.clock.now()
    s.send(response("Success", aid, ("EventList", "start"), ("Message", "Queue summary will follow")))
    want_q = req.get("Queue").strip()
    items = 0
    for q in engine.queues.values():
        if want_q and q.name != want_q:
            continue
        logged = len(q.members)
        avail = sum(1 for m in q.members.values() if not m.paused and m.status in (0, 1))
        longest = int(max((now - c.joined for c in q.callers), default=0))
        s.send([("Event", "QueueSummary"), ("Queue", q.name), ("LoggedIn", logged), ("Available", avail), ("Callers", len(q.callers)),
                ("HoldTime", int(q.holdtime)), ("TalkTime", int(q.talktime)), ("LongestHoldTime", longest), *_tail(aid)])
        items += 1
    s.send([("Event", "QueueSummaryComplete"), *_tail(aid), ("EventList", "Complete"), ("ListItems", items)])


async def queue_reload(server: AmiServer, s: AmiSession, req: Request) -> None:
    queue = req.get("Queue").strip()
    if queue and queue not in server.pbx.queues.queues:
        s.send(error(req.action_id, "No such queue"))
        return
    server.pbx.reload("queues")
    s.send(success(req.action_id, "Queue reloaded successfully"))


async def queue_reset(server: AmiServer, s: AmiSession, req: Request) -> None:
    for q in server.pbx.queues.queues.values():
        if not req.get("Queue").strip() or q.name == req.get("Queue").strip():
            q.completed = q.abandoned = 0
            q.holdtime = q.talktime = 0.0
    s.send(success(req.action_id, "Queue stats reset successfully"))


async def queue_log(server: AmiServer, s: AmiSession, req: Request) -> None:
    queue, event = req.get("Queue").strip(), req.get("Event").strip()
    if not queue or not event:
        s.send(error(req.action_id, "Need 'Queue' and 'Event' parameters."))
        return
    server.pbx.queues.log(req.get("UniqueID").strip() or "NONE", queue, req.get("Interface").strip(), event, req.get("Message"))
    s.send(success(req.action_id, "Event added successfully"))


def queue_show_lines(server: AmiServer, name: str) -> list[str]:
    q = server.pbx.queues.queues.get(name)
    if q is None:
        return [f"No such queue: {name}."]
    lines = [f"{q.name} has {len(q.callers)} calls (max {'unlimited' if not q.maxlen else q.maxlen}) in '{q.strategy}' strategy "
             f"({int(q.holdtime)}s holdtime, {int(q.talktime)}s talktime), W:{q.weight}, C:{q.completed}, A:{q.abandoned}, "
             f"SL:100.0%, SL2:100.0% within {q.servicelevel}s"]
    lines.append("   Members: " if q.members else "   No Members")
    for m in q.members.values():
        state = {1: "Not in use", 2: "In use", 4: "Invalid", 5: "Unavailable", 6: "Ringing"}.get(m.status, "Unknown")
        extra = " (paused)" if m.paused else ""
        lines.append(f"      {m.name} ({m.interface}) (ringinuse {'enabled' if q.ringinuse else 'disabled'})"
                     f"{' (dynamic)' if m.dynamic else ''}{extra} ({state}) has taken {m.calls_taken} calls (last was {m.last_call} secs ago)")
    lines.append("   Callers: " if q.callers else "   No Callers")
    return lines


QUEUE_ACTIONS = {
    "queueadd": queue_add, "queueremove": queue_remove, "queuepause": queue_pause, "queuepenalty": queue_penalty,
    "queuestatus": queue_status, "queuesummary": queue_summary, "queuereload": queue_reload, "queuereset": queue_reset,
    "queuelog": queue_log,
}
