"""Transfer actions: BlindTransfer (05b) and Atxfer (05c, 09b).

BlindTransfer: the *other* parties of the transferer's bridge are redirected to Context/Exten,
the transferer's Dial/Queue owner then hangs the transferer up. The response is written
before the Unhold/BlindTransfer events — that is the byte order of trace 05b (README fact 26
says the opposite; the bytes win).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ami_wire import error, success
from ..channels import bridge_block, channel_block
from ..redirect import redirect_channel

if TYPE_CHECKING:
    from ..ami_server import AmiServer, AmiSession
    from ..ami_wire import Request


def _channel_and_exten(server: AmiServer, s: AmiSession, req: Request):
    """The checks BlindTransfer and Atxfer share, answered with Asterisk's own errors."""
    name, exten = req.get("Channel").strip(), req.get("Exten").strip()
    if not name:
        s.send(error(req.action_id, "No channel specified"))
        return None
    if not exten:
        s.send(error(req.action_id, "No extension specified"))
        return None
    chan = server.pbx.find_channel(name)
    if chan is None:
        s.send(error(req.action_id, "Channel specified does not exist"))
        return None
    return chan, exten


async def blind_transfer(server: AmiServer, s: AmiSession, req: Request) -> None:
    pbx, aid = server.pbx, req.action_id
    found = _channel_and_exten(server, s, req)
    if found is None:
        return
    chan, exten = found
    context = req.get("Context").strip() or chan.context
    bridge = chan.bridge
    if bridge is None:
        s.send(error(aid, "Transfer failed: Invalid"))
        return
    others = [c for c in bridge.channels if c is not chan]
    s.send(success(aid, "Transfer succeeded"))
    pbx.chan_event("Unhold", chan)
    transferee = others[0] if others else chan
    pbx.emit("BlindTransfer", "call,all", [("Result", "Success"), *channel_block(chan, "Transferer"),
                                           *channel_block(transferee, "Transferee"), *bridge_block(bridge),
                                           ("IsExternal", "Yes"), ("Context", context), ("Extension", exten)])
    for other in others:
        redirect_channel(pbx, other, context, exten, 1)


async def atxfer(server: AmiServer, s: AmiSession, req: Request) -> None:
    """Atxfer only queues DTMF (feature code + Exten) on the channel (fact 27)."""
    pbx, aid = server.pbx, req.action_id
    found = _channel_and_exten(server, s, req)
    if found is None:
        return
    chan, exten = found
    code = pbx.config.feature("atxfer")
    if not code:
        s.send(error(aid, "No attended transfer feature code found"))
        return
    s.send(success(aid, "Atxfer successfully queued"))
    from ..features import queue_feature_digits

    queue_feature_digits(pbx, chan, code + exten, req.get("Context").strip())


TRANSFER_ACTIONS = {"blindtransfer": blind_transfer, "atxfer": atxfer}
