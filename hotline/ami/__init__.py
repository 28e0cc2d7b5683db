"""AMI client layer: our own reader/encoder, typed events, one resilient connection per server.

    client = AmiClient(AmiServer("pbx1", secret=secret))
    client.subscribe(on_queue_event, events=["QueueCallerJoin", "AgentConnect"], typed=True)

    @client.on_connected                      # runs after every (re)connect, before ready
    async def resync(session):
        snapshot = await session.send("QueueStatus")

    await client.start()                      # AmiAuthError if the login is refused
    resp = await client.send("QueuePause", Queue="q", Interface="Local/8001@agents", Paused=True,
                             Reason="午休", timeout=5)
    await client.close()

Why not panoramisk/pyst2: see docs/dependencies.md ("AMI").
"""
from hotline.ami.actions import Action, ActionSpec, spec_for
from hotline.ami.client import AmiClient, AmiServer
from hotline.ami.errors import (
    AmiActionError, AmiAuthError, AmiClosed, AmiConnectionLost, AmiEncodeError, AmiError, AmiMessageTooLarge,
    AmiNotConnected, AmiProtocolError, AmiTimeout,
)
from hotline.ami.events import AmiEvent, to_event
from hotline.ami.fanout import EventFanout, Subscription
from hotline.ami.message import Message, Source
from hotline.ami.pool import AmiPool
from hotline.ami.protocol import AmiReader, encode_action
from hotline.ami.response import AmiResponse
from hotline.ami.session import AmiSession

__all__ = [
    "Action", "ActionSpec", "AmiActionError", "AmiAuthError", "AmiClient", "AmiClosed", "AmiConnectionLost",
    "AmiEncodeError", "AmiError", "AmiEvent", "AmiMessageTooLarge", "AmiNotConnected", "AmiPool",
    "AmiProtocolError", "AmiReader", "AmiResponse", "AmiServer", "AmiSession", "AmiTimeout", "EventFanout",
    "Message", "Source", "Subscription", "encode_action", "spec_for", "to_event",
]
