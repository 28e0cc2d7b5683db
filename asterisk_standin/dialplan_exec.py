"""Runs a channel through the dialplan: Newexten per step, variable expansion, app dispatch."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .apps import APPLICATIONS
from .channels import ChannelHungUp, ChannelRedirected
from .dialplan import find_extension, split_app
from .expressions import split_name, apply_substring, substitute, evaluate

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx

log = logging.getLogger(__name__)
HANGUP = "hangup"


def resolve(pbx: Pbx, chan: Channel | None, expr: str) -> str:
    """Value of `${expr}` on a channel (variables, builtins, functions, substrings)."""
    name, offset, length = split_name(expr)
    value = _lookup(pbx, chan, name)
    if offset is not None:
        value = apply_substring(value, offset, length)
    return value


def _lookup(pbx: Pbx, chan: Channel | None, name: str) -> str:
    if name.endswith(")") and "(" in name:
        func, args = split_app(name)
        return call_function(pbx, chan, func.upper(), args)
    if chan is not None:
        builtin = {
            "EXTEN": chan.exten, "CONTEXT": chan.context, "PRIORITY": str(chan.priority),
            "CHANNEL": chan.name, "UNIQUEID": chan.uniqueid, "LINKEDID": chan.linkedid,
            "CALLERID(num)": chan.caller_num or "", "LANGUAGE": chan.language,
        }
        if name in builtin:
            return builtin[name]
        if name in chan.variables:
            return chan.variables[name]
    if name == "EPOCH":
        return str(int(pbx.clock.now()))
    return pbx.global_vars.get(name, "")


def call_function(pbx: Pbx, chan: Channel | None, func: str, args: str) -> str:
    arg = args.strip()
    if func == "CALLERID" and chan is not None:
        what = arg.lower()
        if what in ("num", "number"):
            return chan.caller_num or ""
        if what == "name":
            return chan.caller_name or ""
        if what == "all":
            return chan.callerid_all()
        return ""
    if func == "CONNECTEDLINE" and chan is not None:
        return (chan.conn_num or "") if arg.lower().startswith("num") else (chan.conn_name or "")
    if func == "CHANNEL" and chan is not None:
        return {"language": chan.language, "name": chan.name, "uniqueid": chan.uniqueid, "linkedid": chan.linkedid,
                "state": chan.state_desc, "channeltype": chan.tech}.get(arg.lower(), "")
    if func == "LEN":
        return str(len(args))
    if func == "IF":
        cond, _, rest = args.partition("?")
        yes, _, no = rest.partition(":")
        return yes if _truthy(evaluate(cond) if any(c in cond for c in "=<>&|") else cond) else no
    if func == "STRFTIME":
        import time as _time

        epoch, _, rest = args.partition(",")
        _tz, _, fmt = rest.partition(",")
        value = float(epoch) if epoch.strip() else pbx.clock.now()
        return _time.strftime(fmt or "%c", _time.localtime(value))
    if func == "CUT":
        var, _, rest = args.partition(",")
        delim, _, field_spec = rest.partition(",")
        pieces = resolve(pbx, chan, var.strip()).split(delim or "-")
        index = int(field_spec) - 1 if field_spec.strip().isdigit() else 0
        return pieces[index] if 0 <= index < len(pieces) else ""
    if func in ("TOUPPER", "TOLOWER"):
        return args.upper() if func == "TOUPPER" else args.lower()
    if func == "ISNULL":
        return "1" if args == "" else "0"
    if func == "EXISTS":
        return "0" if args == "" else "1"
    if func == "GLOBAL":
        return pbx.global_vars.get(arg, "")
    if func == "DB":
        family, _, key = arg.partition("/")
        return pbx.astdb.get((family, key), "")
    if func == "QUEUE_MEMBER_COUNT" or func == "QUEUE_WAITING_COUNT":
        q = pbx.queues.queues.get(arg)
        if q is None:
            return "0"
        return str(len(q.members) if func == "QUEUE_MEMBER_COUNT" else len(q.callers))
    return ""


def _truthy(value: str) -> bool:
    value = value.strip()
    return value not in ("", "0")


def expand(pbx: Pbx, chan: Channel | None, text: str) -> str:
    return substitute(text, lambda expr: resolve(pbx, chan, expr))


def set_variable(pbx: Pbx, chan: Channel | None, name: str, value: str) -> None:
    """Set() semantics: functions (CALLERID, CHANNEL(language), GLOBAL, DB) or plain variables."""
    name = written = name.strip()
    if name.startswith("_") and chan is not None:
        forever = name.startswith("__")
        name = name.lstrip("_")
        chan.inherit[name] = forever  # copied onto channels this one dials (Dial/Queue legs)
    name = name.lstrip("_")
    upper = name.upper()
    if upper.startswith("CALLERID(") and chan is not None:
        what = upper[9:-1].lower()
        if what in ("num", "number"):
            pbx.set_callerid(chan, value, chan.caller_name)
        elif what == "name":
            pbx.set_callerid(chan, chan.caller_num, value)
        elif what == "all":
            from .callerid import parse_callerid

            cname, cnum = parse_callerid(value)
            pbx.set_callerid(chan, cnum, cname)
        return
    if upper == "CHANNEL(LANGUAGE)" and chan is not None:
        chan.language = value
        return
    if upper.startswith("GLOBAL("):
        pbx.global_vars[name[7:-1]] = value
        return
    if upper.startswith("DB("):
        family, _, key = name[3:-1].partition("/")
        pbx.astdb[(family, key)] = value
        return
    pbx.set_var(chan, name, value, shown=written)


def goto_target(pbx: Pbx, chan: Channel, target: str) -> bool:
    """Goto([[context,]exten,]priority|label); returns False when the target does not exist."""
    parts = [p.strip() for p in target.split(",")]
    context, exten = chan.context, chan.exten
    if len(parts) == 3:
        context, exten, prio_s = parts
    elif len(parts) == 2:
        exten, prio_s = parts
    else:
        prio_s = parts[0]
    ext = find_extension(pbx.config.contexts, context, exten)
    if ext is None:
        return False
    if prio_s.isdigit():
        prio = int(prio_s)
    else:
        found = ext.by_label(prio_s)
        if found is None:
            return False
        prio = found
    chan.context, chan.exten, chan.priority = context, exten, prio - 1
    return True


async def run_channel(pbx: Pbx, chan: Channel) -> None:
    """The pbx thread of a channel: from its context/exten/priority until hangup or the end."""
    try:
        while chan.alive:
            ext = find_extension(pbx.config.contexts, chan.context, chan.exten)
            step = ext.steps.get(chan.priority) if ext else None
            if step is None:
                break
            app = APPLICATIONS.get(step.app.lower())
            data = expand(pbx, chan, step.data)
            if app is None:
                log.warning("No application '%s' for extension (%s, %s, %d)", step.app, chan.context, chan.exten, chan.priority)
                break
            if chan.skip_newexten:
                chan.skip_newexten = False  # already announced (with the old app) by the redirect
                chan.app, chan.appdata = step.app, data
            else:
                pbx.newexten(chan, step.app, data)
            pbx.flush_callerid(chan)
            try:
                result = await app(pbx, chan, data)
            except ChannelRedirected:
                accept_redirect(chan)
                continue
            if result == HANGUP:
                break
            if chan.redirect_to is not None:
                accept_redirect(chan)
                continue
            chan.priority += 1
    except ChannelHungUp:
        pass
    finally:
        if getattr(chan, "redirecting", False):
            chan.redirecting = False
        else:
            chan.task = None
            pbx.finish(chan)


def accept_redirect(chan: Channel) -> None:
    """The new location was already set by Channel.request_redirect(); just clear the flag."""
    chan.redirect_to = None
    if chan.alive:
        chan.attention.clear()


async def run_application_only(pbx: Pbx, chan: Channel, app_name: str, data: str) -> None:
    """Originate with Application/Data: run one app on the channel, then hang up."""
    try:
        app = APPLICATIONS.get(app_name.lower())
        if app is not None:
            chan.app, chan.appdata = app_name, data
            await app(pbx, chan, data)
        if chan.hangup_kind is None:
            chan.hangup_cause = 0
    except (ChannelHungUp, ChannelRedirected):
        pass
    finally:
        chan.task = None
        if chan.hangup_kind == "peer":
            chan.hangup_kind = "quiet"  # an originated application channel just ends (09a 119 leg)
        pbx.finish(chan)
