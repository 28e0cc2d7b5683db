"""AMI actions the engine sends, each declared with the shape of its answer.

Shapes observed on Asterisk 22.10.1 (tests/fixtures/traces):
* single: one ``Response:`` (``Success``/``Goodbye``, or ``Error`` with ``Message``). Some
  successes carry no ``Message`` at all (Ping, MixMonitor, Events).
* list: ``Response: Success`` + ``EventList: start``, then item events carrying our ActionID,
  ended by the named ``…Complete`` event (``EventList: Complete``, ``ListItems: N``). A list
  action that fails answers one ``Response: Error`` and no list.
Completion is decided by these markers, never guessed from the wording of ``Message``
(panoramisk's guess makes QueueAdd hang forever).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from hotline.ami.protocol import iter_fields

SINGLE = "single"
LIST = "list"


@dataclass(frozen=True)
class ActionSpec:
    """How an action is answered; ``timeout`` None means the client's default."""

    name: str
    shape: str = SINGLE
    complete_event: str | None = None
    timeout: float | None = None
    empty_on_error: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class Action:
    """An action ready to encode: name plus ordered fields (a key may repeat)."""

    name: str
    fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, name: str, fields: Mapping[str, object] | Iterable[tuple[str, object]] | None = None,
           **kwargs: object) -> Action:
        """``Action.of("QueueAdd", Queue="q", Interface="Local/1@a", Paused=True)``.

        Values: None is left out, bools become true/false, a list/tuple repeats the key
        (``Variable=["A=1", "B=2"]``). Keys are AMI header names as Asterisk spells them.
        """
        pairs: list[tuple[str, object]] = []
        if fields is not None:
            pairs.extend(fields.items() if isinstance(fields, Mapping) else fields)
        pairs.extend(kwargs.items())
        return cls(name, tuple(iter_fields(pairs)))

    @property
    def spec(self) -> ActionSpec:
        return spec_for(self.name)


def _list(name: str, complete: str, **kw) -> ActionSpec:
    return ActionSpec(name, LIST, complete, **kw)


_SPECS = (
    ActionSpec("Login", notes="failure: ~1 s delay, 'Authentication failed', then Asterisk closes"),
    ActionSpec("Logoff", notes="Response: Goodbye, then Asterisk closes"),
    ActionSpec("Challenge"),
    ActionSpec("Ping", notes="Ping: Pong + Timestamp, no Message"),
    ActionSpec("Events", notes="Events: Off, no Message"),
    ActionSpec("Originate", timeout=60.0,
               notes="Async: true answers at once; the outcome is the later OriginateResponse event"),
    ActionSpec("Hangup"),
    ActionSpec("Getvar"),
    ActionSpec("Setvar"),
    ActionSpec("QueueAdd", notes="QueueMemberAdded event follows; no list"),
    ActionSpec("QueueRemove"),
    ActionSpec("QueuePause"),
    ActionSpec("QueuePenalty"),
    ActionSpec("QueueLog", notes="no AMI event; Error without Event"),
    ActionSpec("QueueReload"),
    ActionSpec("QueueReset"),
    _list("QueueStatus", "QueueStatusComplete", notes="unknown queue: Success + 0 items"),
    _list("QueueSummary", "QueueSummaryComplete"),
    _list("CoreShowChannels", "CoreShowChannelsComplete"),
    _list("Status", "StatusComplete"),
    _list("ConfbridgeList", "ConfbridgeListComplete", empty_on_error=("No active conferences.",)),
    _list("ConfbridgeListRooms", "ConfbridgeListRoomsComplete", empty_on_error=("No active conferences.",)),
    _list("BridgeList", "BridgeListComplete"),
    _list("BridgeInfo", "BridgeInfoComplete"),
    ActionSpec("ConfbridgeKick"),
    ActionSpec("Redirect"),
    ActionSpec("BlindTransfer", notes="README fact 26: BlindTransfer event before the response; trace 05b "
                                      "shows the response first: do not rely on the order"),
    ActionSpec("Atxfer", notes="always 'Atxfer successfully queued'; outcome only via events"),
    ActionSpec("MixMonitor", notes="no Message; MixMonitorID only with Options i(VAR)"),
    ActionSpec("StopMixMonitor"),
    ActionSpec("MixMonitorMute"),
    ActionSpec("PlayDTMF"),
    ActionSpec("Command", notes="one Output header per CLI line; unknown command is an Error with Output"),
    ActionSpec("Reload"),
    ActionSpec("UserEvent"),
    ActionSpec("CoreSettings"),
    ActionSpec("CoreStatus"),
)

SPECS: Mapping[str, ActionSpec] = MappingProxyType({s.name.lower(): s for s in _SPECS})


def spec_for(name: str) -> ActionSpec:
    """Declared spec, or a single-response default (a list answer is still recognised by its markers)."""
    return SPECS.get(name.lower()) or ActionSpec(name)
