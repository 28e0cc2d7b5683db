"""Moving a channel to another dialplan location (AMI Redirect): cancel its app, restart there."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx


def redirect_channel(pbx: Pbx, chan: Channel, context: str, exten: str, priority: int) -> None:
    """Asterisk's async goto (fact 25).

    The channel's current application is interrupted and its dialplan resumes at the new
    location. Like Asterisk, a Newexten with the *old* application but the new location is
    emitted first. A dialed leg without its own dialplan (owned by Dial/Queue) is released by
    its owner, which sees `attention` and calls `release_leg()`.
    """
    chan.request_redirect(context, exten, priority)
    pbx.newexten(chan, chan.app, chan.appdata)
    chan.skip_newexten = True
    if chan.task is None and not chan.owned:
        release_leg(pbx, chan)


def release_leg(pbx: Pbx, chan: Channel) -> None:
    """Give a redirected leg its own dialplan thread at the location it was sent to."""
    if chan.bridge is not None:
        pbx.bridge_leave(chan)
    chan.owned = False
    chan.redirect_to = None
    chan.attention.clear()
    pbx.start_dialplan(chan)
