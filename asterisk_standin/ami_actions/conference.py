"""ConfBridge actions: ConfbridgeList, ConfbridgeListRooms, ConfbridgeKick, ConfbridgeMute/Unmute (facts 30–32)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import confbridge
from ..ami_wire import error, response, success
from ..channels import channel_block

if TYPE_CHECKING:
    from ..ami_server import AmiServer, AmiSession
    from ..ami_wire import Request


def _head(aid) -> list:
    return [("ActionID", aid)] if aid is not None else []


async def confbridge_list(server: AmiServer, s: AmiSession, req: Request) -> None:
    pbx, aid = server.pbx, req.action_id
    name = req.get("Conference").strip()
    if not name:
        s.send(error(aid, "No Conference name provided."))
        return
    if not pbx.conferences:
        s.send(error(aid, "No active conferences."))
        return
    conf = pbx.conferences.get(name)
    if conf is None:
        s.send(error(aid, "No Conference by that name found."))
        return
    s.send(response("Success", aid, ("EventList", "start"), ("Message", "Confbridge user list will follow")))
    now = pbx.clock.now()
    for m in conf.members:
        s.send([("Event", "ConfbridgeList"), *_head(aid), ("Conference", conf.name), ("Admin", "No"), ("MarkedUser", "No"),
                ("WaitMarked", "No"), ("EndMarked", "No"), ("EndMarkedAny", "No"), ("Waiting", "No"),
                ("Muted", "Yes" if m.muted else "No"), ("Talking", "No"),
                ("AnsweredTime", int(now - (m.chan.answered_at or m.joined))), *channel_block(m.chan)])
    s.send([("Event", "ConfbridgeListComplete"), *_head(aid), ("EventList", "Complete"), ("ListItems", len(conf.members))])


async def confbridge_list_rooms(server: AmiServer, s: AmiSession, req: Request) -> None:
    pbx, aid = server.pbx, req.action_id
    if not pbx.conferences:
        s.send(error(aid, "No active conferences."))
        return
    s.send(response("Success", aid, ("EventList", "start"), ("Message", "Confbridge conferences will follow")))
    for conf in pbx.conferences.values():
        s.send([("Event", "ConfbridgeListRooms"), *_head(aid), ("Conference", conf.name), ("Parties", len(conf.members)),
                ("Marked", 0), ("Locked", "Yes" if conf.locked else "No"), ("Muted", "No")])
    s.send([("Event", "ConfbridgeListRoomsComplete"), *_head(aid), ("EventList", "Complete"), ("ListItems", len(pbx.conferences))])


async def confbridge_kick(server: AmiServer, s: AmiSession, req: Request) -> None:
    pbx, aid = server.pbx, req.action_id
    name, channel = req.get("Conference").strip(), req.get("Channel").strip()
    if not name:
        s.send(error(aid, "No Conference name provided."))
        return
    if not channel:
        s.send(error(aid, "No channel name provided."))
        return
    conf = pbx.conferences.get(name)
    if conf is None:
        s.send(error(aid, "No Conference by that name found."))
        return
    if not confbridge.kick(conf, channel):
        s.send(error(aid, "No Channel by that name found in Conference."))
        return
    s.send(success(aid, "All participants kicked" if channel == "all" else "User kicked"))


async def _mute(server: AmiServer, s: AmiSession, req: Request, on: bool) -> None:
    pbx, aid = server.pbx, req.action_id
    conf = pbx.conferences.get(req.get("Conference").strip())
    if conf is None:
        s.send(error(aid, "No Conference by that name found."))
        return
    channel = req.get("Channel").strip()
    found = [m for m in conf.members if channel == "all" or m.chan.name == channel]
    if not found:
        s.send(error(aid, "No Channel by that name found in Conference."))
        return
    for m in found:
        m.muted = on
    s.send(success(aid, "User muted" if on else "User unmuted"))


async def confbridge_mute(server: AmiServer, s: AmiSession, req: Request) -> None:
    await _mute(server, s, req, True)


async def confbridge_unmute(server: AmiServer, s: AmiSession, req: Request) -> None:
    await _mute(server, s, req, False)


CONFERENCE_ACTIONS = {"confbridgelist": confbridge_list, "confbridgelistrooms": confbridge_list_rooms,
                      "confbridgekick": confbridge_kick, "confbridgemute": confbridge_mute, "confbridgeunmute": confbridge_unmute}
