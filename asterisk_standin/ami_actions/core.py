"""Session/system actions: Login, Challenge, Logoff, Ping, Events, Core*, Command, Reload, UserEvent."""
from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING

from ..ami_filters import FilterCompileError, FilterError, parse_filter
from ..ami_privileges import events_mask
from ..ami_wire import error, response, success

if TYPE_CHECKING:
    from ..ami_server import AmiServer, AmiSession
    from ..ami_wire import Request


async def login(server: AmiServer, s: AmiSession, req: Request) -> None:
    await server.login(s, req)


async def challenge(server: AmiServer, s: AmiSession, req: Request) -> None:
    if req.get("AuthType").lower() != "md5":
        s.send(error(req.action_id, "Must specify AuthType"))
        return
    s.challenge = str(server.rng.randrange(100000000, 999999999))
    s.send(response("Success", req.action_id, ("Challenge", s.challenge)))


async def logoff(server: AmiServer, s: AmiSession, req: Request) -> None:
    s.send(response("Goodbye", req.action_id, ("Message", "Thanks for all the fish.")))
    await s.close()


async def ping(server: AmiServer, s: AmiSession, req: Request) -> None:
    s.send(response("Success", req.action_id, ("Ping", "Pong"), ("Timestamp", f"{server.pbx.clock.now():.6f}")))


async def events(server: AmiServer, s: AmiSession, req: Request) -> None:
    """manager.c action_events: on/off, a number or class names; an empty mask is invalid."""
    mask = events_mask(req.get("EventMask").strip())
    if mask < 0:
        s.send(error(req.action_id, "Invalid event mask"))
        return
    s.send_events = mask
    s.send(response("Success", req.action_id, ("Events", "On" if mask else "Off")))


async def filter_(server: AmiServer, s: AmiSession, req: Request) -> None:
    """Filter (Operation: Add): one more eventfilter for this session only (`system` write class, checked by the server)."""
    if req.get("Operation").strip().lower() != "add":
        s.send(error(req.action_id, "Unknown operation"))
        return
    criteria = req.get("MatchCriteria").strip()
    try:
        item = parse_filter(f"eventfilter({criteria})" if criteria else "eventfilter", req.get("Filter").strip())
    except FilterCompileError:
        s.send(error(req.action_id, "Filter did not compile.  Check the syntax of the filter given."))
        return
    except FilterError:
        s.send(error(req.action_id, "Filter was formatted incorrectly.  Check the syntax of the filter given."))
        return
    s.filters.add(item)
    s.send(success(req.action_id, "Success"))


async def core_settings(server: AmiServer, s: AmiSession, req: Request) -> None:
    s.send(response("Success", req.action_id, ("AMIversion", "11.0.0"), ("AsteriskVersion", "22.10.1"), ("SystemName", ""),
                    ("CoreMaxCalls", 0), ("CoreMaxLoadAvg", "0.000000"), ("CoreRunUser", ""), ("CoreRunGroup", ""),
                    ("CoreMaxFilehandles", 0), ("CoreRealTimeEnabled", "No"), ("CoreCDRenabled", "No"),
                    ("CoreHTTPenabled", "No"), ("SoundsSearchCustomDir", "No")))


async def core_status(server: AmiServer, s: AmiSession, req: Request) -> None:
    pbx = server.pbx
    start = datetime.fromtimestamp(pbx.start_time)
    reload_ = datetime.fromtimestamp(pbx.reload_time)
    calls = len({c.linkedid for c in pbx.channels.values()})
    s.send(response("Success", req.action_id, ("CoreStartupDate", start.strftime("%Y-%m-%d")), ("CoreStartupTime", start.strftime("%H:%M:%S")),
                    ("CoreReloadDate", reload_.strftime("%Y-%m-%d")), ("CoreReloadTime", reload_.strftime("%H:%M:%S")),
                    ("CoreCurrentCalls", calls), ("CoreProcessedCalls", pbx.processed_calls)))


async def list_commands(server: AmiServer, s: AmiSession, req: Request) -> None:
    lines = json.loads(resources.files("asterisk_standin").joinpath("data/ami_commands.json").read_text("utf-8"))
    s.send(response("Success", req.action_id, *[(k, v) for k, v in lines]))


def cli_output(server: AmiServer, command: str) -> list[str] | None:
    """Output lines of the few CLI commands the stand-in knows; None = no such command."""
    pbx = server.pbx
    words = command.split()
    low = " ".join(words).lower()
    if low in ("queue reload all", "queue reload members", "queue reload"):
        pbx.reload("queues")
        return [""]
    if low in ("dialplan reload",):
        pbx.reload("dialplan")
        return ["Dialplan reloaded."]
    if low in ("core reload", "reload", "module reload"):
        pbx.reload("all")
        return [""]
    if low == "core show version":
        return ["Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux (stand-in)"]
    if low == "core show channels":
        header = "Channel".ljust(65) + "Location".ljust(33) + "State".ljust(8) + "Application(Data)".ljust(30)
        rows = [c.name.ljust(65) + f"{c.exten}@{c.context}:{c.priority}".ljust(33) + c.state_desc.ljust(8) + f"{c.app}({c.appdata})"
                for c in pbx.channels.values()]
        calls = len({c.linkedid for c in pbx.channels.values()})
        return [header, *rows, f"{len(rows)} active channels", f"{calls} active calls", f"{pbx.processed_calls} calls processed"]
    if len(words) == 3 and low.startswith("queue show"):
        from .queues import queue_show_lines

        return queue_show_lines(server, words[2])
    return None


async def command(server: AmiServer, s: AmiSession, req: Request) -> None:
    cmd = req.get("Command").strip()
    if not cmd:
        s.send(error(req.action_id, "No command provided"))
        return
    out = cli_output(server, cmd)
    if out is None:
        first = " ".join(cmd.split()[:2])
        s.send(response("Error", req.action_id, ("Message", "Command output follows"),
                        ("Output", f"No such command '{cmd}' (type 'core show help {first}' for other possible commands)")))
        return
    s.send(success(req.action_id, "Command output follows", *[("Output", line) for line in out]))


async def reload(server: AmiServer, s: AmiSession, req: Request) -> None:
    module = req.get("Module").lower()
    what = "queues" if "queue" in module else "dialplan" if ("pbx" in module or "extensions" in module) else "all"
    server.pbx.reload(what)
    s.send(success(req.action_id, "Module Reloaded"))


async def user_event(server: AmiServer, s: AmiSession, req: Request) -> None:
    fields = [(k, v) for k, v in req.headers if k.lower() not in ("action", "userevent")]
    s.send(success(req.action_id, "Event Sent"))
    server.pbx.emit("UserEvent", "user,all", [("UserEvent", req.get("UserEvent")), *fields])


CORE_ACTIONS = {
    "login": login, "challenge": challenge, "logoff": logoff, "ping": ping, "events": events, "filter": filter_,
    "coresettings": core_settings, "corestatus": core_status, "listcommands": list_commands,
    "command": command, "reload": reload, "userevent": user_event,
}
