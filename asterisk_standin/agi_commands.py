"""AGI command handlers with the reply formats of facts 20–22 (exact strings from trace 03a/03c)."""
from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING

from .agi_media import AgiMedia, Usage
from .callerid import parse_callerid
from .channels import UP, ChannelHungUp

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx

DEAD = "511 Command Not Permitted on a dead channel or intercept routine\n"
DEAD_TEXT = "Command Not Permitted on a dead channel or intercept routine"
UNKNOWN = "510 Invalid or unknown command\n"
DEAD_OK = {"GET VARIABLE", "GET FULL VARIABLE", "SET VARIABLE", "VERBOSE", "NOOP", "DATABASE PUT", "DATABASE GET",
           "DATABASE DEL", "DATABASE DELTREE", "EXEC", "SET CALLERID", "SET AUTOHANGUP", "SET CONTEXT", "SET EXTENSION", "SET PRIORITY"}
MEDIA = {"STREAM FILE", "CONTROL STREAM FILE", "GET DATA", "WAIT FOR DIGIT", "SAY DIGITS", "SAY NUMBER", "SAY ALPHA",
         "SAY DATE", "SAY TIME", "RECORD FILE", "GET OPTION"}  # their -1 is AGI RESULT_FAILURE (03b)
COMMANDS = ["CHANNEL STATUS", "ANSWER", "GET VARIABLE", "GET FULL VARIABLE", "SET VARIABLE", "STREAM FILE", "CONTROL STREAM FILE",
            "GET DATA", "WAIT FOR DIGIT", "SAY DIGITS", "SAY NUMBER", "SAY ALPHA", "RECORD FILE", "EXEC", "VERBOSE", "NOOP",
            "DATABASE PUT", "DATABASE GET", "DATABASE DEL", "DATABASE DELTREE", "SET CALLERID", "SET MUSIC", "SET AUTOHANGUP",
            "SET CONTEXT", "SET EXTENSION", "SET PRIORITY", "HANGUP", "GET OPTION", "SAY DATE", "SAY TIME"]


def tokenize(line: str) -> list[str]:
    """Split like res_agi parse_args: whitespace, double quotes group, backslash escapes."""
    out, cur, quoted, escaped, had = [], [], False, False, False
    for ch in line:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            had = True
        elif ch in " \t" and not quoted:
            if cur or had:
                out.append("".join(cur))
            cur, had = [], False
        else:
            cur.append(ch)
    if cur or had:
        out.append("".join(cur))
    return out


def _usage() -> dict[str, str]:
    return json.loads(resources.files("asterisk_standin").joinpath("data/agi_usage.json").read_text("utf-8"))


class AgiCommands(AgiMedia):
    def __init__(self, pbx: Pbx, chan: Channel, session: object) -> None:
        self.pbx = pbx
        self.chan = chan
        self.session = session
        self.usage = _usage()

    def _match(self, words: list[str]) -> str | None:
        upper = [w.upper() for w in words]
        for n in (3, 2, 1):
            name = " ".join(upper[:n])
            if name in COMMANDS:
                return name
        return None

    async def dispatch(self, text: str, words: list[str], dead: bool) -> tuple[str, object, str]:
        name = self._match(words)
        if name is None:
            return UNKNOWN, 510, "Invalid or unknown command"
        args = words[len(name.split()):]
        if dead and name not in DEAD_OK:
            return DEAD, 511, DEAD_TEXT
        handler = getattr(self, "cmd_" + name.lower().replace(" ", "_"))
        try:
            reply = await handler(args, dead)
        except Usage:
            text_usage = self.usage.get(name, "Usage: " + name + "\n")
            return "520-Invalid command syntax.  Proper usage follows:\n" + text_usage + "520 End of proper usage.\n", 520, "Usage"
        except ChannelHungUp:
            reply = "200 result=-1\n"
        code_text = reply.split(" ", 1)[1] if " " in reply else ""
        if code_text.startswith("result=-1") and name in MEDIA:
            return reply, -1, "Failure"
        if name == "EXEC" and (code_text.startswith("result=-2") or code_text.startswith("result=-1")):
            return reply, 200, "Unknown Result"
        return reply, 200, "Success"

    # ---- channel ----------------------------------------------------------------------------
    async def cmd_channel_status(self, args: list[str], dead: bool) -> str:
        if args:
            other = self.pbx.find_channel(args[0])
            return f"200 result={other.state if other else -1}\n"
        return f"200 result={self.chan.state}\n"

    async def cmd_answer(self, args: list[str], dead: bool) -> str:
        if self.chan.state != UP:
            self.pbx.answer(self.chan)
        return "200 result=0\n"

    async def cmd_hangup(self, args: list[str], dead: bool) -> str:
        target = self.pbx.find_channel(args[0]) if args else self.chan
        if target is None:
            return "200 result=-1\n"
        self.pbx.request_hangup(target, 16)
        if target is self.chan:
            target.caller_num = target.caller_name = None
        return "200 result=1\n"

    # ---- variables --------------------------------------------------------------------------
    async def cmd_get_variable(self, args: list[str], dead: bool) -> str:
        from .dialplan_exec import resolve

        if not args:
            raise Usage()
        name = args[0]
        if "(" not in name and name not in self.chan.variables and name not in self.pbx.global_vars and name not in (
                "EXTEN", "CONTEXT", "PRIORITY", "CHANNEL", "UNIQUEID", "LINKEDID"):
            return "200 result=0\n"
        return f"200 result=1 ({resolve(self.pbx, self.chan, name)})\n"

    async def cmd_get_full_variable(self, args: list[str], dead: bool) -> str:
        from .dialplan_exec import expand

        if not args:
            raise Usage()
        return f"200 result=1 ({expand(self.pbx, self.chan, args[0])})\n"

    async def cmd_set_variable(self, args: list[str], dead: bool) -> str:
        from .dialplan_exec import set_variable

        if len(args) < 2:
            raise Usage()
        set_variable(self.pbx, self.chan, args[0], args[1])
        return "200 result=1\n"

    async def cmd_set_callerid(self, args: list[str], dead: bool) -> str:
        if not args:
            raise Usage()
        name, num = parse_callerid(args[0])
        self.pbx.set_callerid(self.chan, num or "", name)
        return "200 result=1\n"

    async def cmd_set_music(self, args: list[str], dead: bool) -> str:
        if args and args[0].lower() == "on":
            self.pbx.chan_event("MusicOnHoldStart", self.chan, ("Class", args[1] if len(args) > 1 else "default"))
        elif self.chan.alive:
            self.pbx.chan_event("MusicOnHoldStop", self.chan)
        return "200 result=0\n"

    async def cmd_set_autohangup(self, args: list[str], dead: bool) -> str:
        return "200 result=0\n"

    async def cmd_set_context(self, args: list[str], dead: bool) -> str:
        self.chan.context = args[0] if args else self.chan.context
        return "200 result=0\n"

    async def cmd_set_extension(self, args: list[str], dead: bool) -> str:
        self.chan.exten = args[0] if args else self.chan.exten
        return "200 result=0\n"

    async def cmd_set_priority(self, args: list[str], dead: bool) -> str:
        if args and args[0].isdigit():
            self.chan.priority = int(args[0]) - 1
        return "200 result=0\n"

    async def cmd_verbose(self, args: list[str], dead: bool) -> str:
        return "200 result=1\n"

    async def cmd_noop(self, args: list[str], dead: bool) -> str:
        return "200 result=0\n"

    async def cmd_database_put(self, args: list[str], dead: bool) -> str:
        if len(args) < 3:
            raise Usage()
        self.pbx.astdb[(args[0], args[1])] = args[2]
        return "200 result=1\n"

    async def cmd_database_get(self, args: list[str], dead: bool) -> str:
        if len(args) < 2:
            raise Usage()
        value = self.pbx.astdb.get((args[0], args[1]))
        return "200 result=0\n" if value is None else f"200 result=1 ({value})\n"

    async def cmd_database_del(self, args: list[str], dead: bool) -> str:
        if len(args) < 2:
            raise Usage()
        return "200 result=1\n" if self.pbx.astdb.pop((args[0], args[1]), None) is not None else "200 result=0\n"

    async def cmd_database_deltree(self, args: list[str], dead: bool) -> str:
        keys = [k for k in self.pbx.astdb if args and k[0] == args[0]]
        for k in keys:
            del self.pbx.astdb[k]
        return f"200 result={1 if keys else 0}\n"

    async def cmd_exec(self, args: list[str], dead: bool) -> str:
        from .apps import APPLICATIONS

        if not args:
            raise Usage()
        app = APPLICATIONS.get(args[0].lower())
        if app is None:
            return "200 result=-2\n"
        data = ",".join(args[1:]) if len(args) > 2 else (args[1] if len(args) > 1 else "")
        if dead and args[0].lower() not in ("noop", "verbose", "set", "log"):
            return "200 result=-1\n"
        try:
            await app(self.pbx, self.chan, data)
        except ChannelHungUp:
            return "200 result=-1\n"
        return "200 result=0\n"
