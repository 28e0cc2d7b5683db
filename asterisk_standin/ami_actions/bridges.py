"""Bridge actions: BridgeList, BridgeInfo (fact 34)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ami_wire import error, response
from ..channels import bridge_block, channel_block

if TYPE_CHECKING:
    from ..ami_server import AmiServer, AmiSession
    from ..ami_wire import Request


def _head(aid) -> list:
    return [("ActionID", aid)] if aid is not None else []


async def bridge_list(server: AmiServer, s: AmiSession, req: Request) -> None:
    aid = req.action_id
    wanted = req.get("BridgeType").strip()
    bridges = [b for b in server.pbx.bridges.values() if not wanted or b.bridge_type == wanted]
    s.send(response("Success", aid, ("EventList", "start"), ("Message", "Bridge listing will follow")))
    for b in bridges:
        s.send([("Event", "BridgeListItem"), *_head(aid), *bridge_block(b)])
    s.send([("Event", "BridgeListComplete"), *_head(aid), ("EventList", "Complete"), ("ListItems", len(bridges))])


async def bridge_info(server: AmiServer, s: AmiSession, req: Request) -> None:
    aid = req.action_id
    uid = req.get("BridgeUniqueid").strip()
    if not uid:
        s.send(error(aid, "BridgeUniqueid must be provided"))
        return
    bridge = server.pbx.bridges.get(uid)
    if bridge is None:
        s.send(error(aid, f"Bridge {uid} not found"))
        return
    s.send(response("Success", aid, ("EventList", "start"), ("Message", "Bridge channel listing will follow")))
    for chan in bridge.channels:
        s.send([("Event", "BridgeInfoChannel"), *_head(aid), *channel_block(chan)])
    s.send([("Event", "BridgeInfoComplete"), *_head(aid), ("EventList", "Complete"), ("ListItems", len(bridge.channels)),
            *bridge_block(bridge)])


BRIDGE_ACTIONS = {"bridgelist": bridge_list, "bridgeinfo": bridge_info}
