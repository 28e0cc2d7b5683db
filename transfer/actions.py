"""The AMI actions a transfer sends, one small object each (field spelling as in traces 05a–05c, 08, 09a).

Each object only knows its action name and fields; `send(client, action)` is the one place
they reach an AmiClient, so every object is testable without a socket.
"""
from __future__ import annotations

from dataclasses import dataclass

CONFERENCE_PROFILES = "linkage_bridge,linkage_user"  # asterisk-config/confbridge.conf


def _one_line(text: str) -> str:
    """Anything user-provided must not break AMI framing."""
    return " ".join(str(text).split())


@dataclass(frozen=True)
class Redirect:
    """Move a channel (and with `extra_channel` a second one: dual Redirect, trace 09a) to context/exten."""

    channel: str
    context: str
    exten: str
    extra_channel: str | None = None
    extra_context: str | None = None
    extra_exten: str | None = None
    priority: int = 1

    name = "Redirect"

    def fields(self) -> dict[str, str]:
        fields = {"Channel": self.channel, "Context": self.context, "Exten": self.exten, "Priority": str(self.priority)}
        if self.extra_channel:
            fields.update({"ExtraChannel": self.extra_channel, "ExtraContext": self.extra_context or self.context,
                           "ExtraExten": self.extra_exten or self.exten, "ExtraPriority": str(self.priority)})
        return fields


@dataclass(frozen=True)
class BlindTransfer:
    """The other party of `channel`'s bridge goes to context/exten; `channel` (the agent) is freed (05b)."""

    channel: str
    context: str
    exten: str

    name = "BlindTransfer"

    def fields(self) -> dict[str, str]:
        return {"Channel": self.channel, "Context": self.context, "Exten": self.exten}


@dataclass(frozen=True)
class Atxfer:
    """Attended transfer started from the agent's channel (05c, 09b); needs `atxfer` in features.conf."""

    channel: str
    context: str
    exten: str

    name = "Atxfer"

    def fields(self) -> dict[str, str]:
        return {"Channel": self.channel, "Exten": self.exten, "Context": self.context}


@dataclass(frozen=True)
class OriginateIntoConference:
    """Dial `dial` and, once answered, put it into ConfBridge `conference` (09a).

    Async: the outcome is the OriginateResponse event carrying the ActionID the client gave
    this action (Reason 4 = answered, 5 busy, 3 no answer, 0/8 failed).
    """

    dial: str
    conference: str
    caller_id: str
    timeout_seconds: int

    name = "Originate"

    def fields(self) -> dict[str, str]:
        return {"Channel": self.dial, "Application": "ConfBridge",
                "Data": f"{self.conference},{CONFERENCE_PROFILES}", "CallerID": _one_line(self.caller_id),
                "Timeout": str(self.timeout_seconds * 1000), "Async": "true"}


@dataclass(frozen=True)
class Hangup:
    """The agent leaves (09a part 2: the conference keeps citizen and emergency operator)."""

    channel: str
    cause: int = 16

    name = "Hangup"

    def fields(self) -> dict[str, str]:
        return {"Channel": self.channel, "Cause": str(self.cause)}


@dataclass(frozen=True)
class ConfbridgeKick:
    """Ends what is left of a conference once the citizen or the operator hung up (09a `Channel: all`)."""

    conference: str
    channel: str = "all"

    name = "ConfbridgeKick"

    def fields(self) -> dict[str, str]:
        return {"Conference": self.conference, "Channel": self.channel}


@dataclass(frozen=True)
class Setvar:
    """A channel variable the dialplan reads after a blind transfer (HOTLINE_DIAL for [hotline-route] subcenter)."""

    channel: str
    variable: str
    value: str

    name = "Setvar"

    def fields(self) -> dict[str, str]:
        return {"Channel": self.channel, "Variable": self.variable, "Value": _one_line(self.value)}


async def send(client, action) -> object:
    """Send one action through an AmiClient; its typed errors (AmiActionError, AmiTimeout…) propagate."""
    return await client.send(action.name, action.fields())
