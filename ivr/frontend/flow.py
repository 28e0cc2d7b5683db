"""The `ivr` call flow: decide where a 12345 call goes, take spoken intake while no agent is free.

Thin and fast by default (GB/T 33358-2016): greeting, optional language choice, the line's
menu only if it has one, intake only when the target queue has no free agent. Key 0 reaches
an agent at any point. The flow only decides and sets channel variables; the dialplan
([hotline-route]) queues, dials or links to 110/119/120/122. HOTLINE_ACTION is set last, so an
engine that fails half-way leaves it empty and the dialplan's engine-down path still queues.
"""
from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ivr.fastagi import ChannelHungUp, FastAgiError, GetFullVariable, SayDigits, SetVariable, StreamFile
from ivr.frontend.callinfo import CallInfo, call_started
from ivr.frontend.drafting import Understanding, file_draft, follow_linkage, log_linkage, understand
from ivr.frontend.driver import Effect
from ivr.frontend.intake import Intake, intake_path, record, transcribe
from ivr.frontend.menu_flow import ask
from ivr.frontend.menus import Menu, MenuAction
from ivr.frontend.ports import IvrDeps, Linkage
from ivr.frontend.status_line import status_line
from queues.routing import Route, route_call


@dataclass
class IvrOutcome:
    """What the flow decided (returned by `drive`; the handler logs it)."""

    call_id: str | None = None
    language: str = "zh"
    route: Route | None = None
    variables: dict[str, str] = field(default_factory=dict)
    ticket: str | None = None
    intake: Intake | None = None
    linkage: Linkage | None = None
    agent_now: bool = False
    hung_up: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class _State:
    route: Route
    language: str
    agent_now: bool = False
    force_intake: bool = False
    hangup: bool = False
    emergency: tuple[str, str] | None = None  # (target, "按键2（菜单after-hours）")
    status: bool = False  # the caller chose the 工单查询 status line


def ivr_flow(call: CallInfo, deps: IvrDeps) -> Generator[Any, Any, IvrOutcome]:
    s = deps.settings
    now = deps.clock()
    local = now.astimezone(ZoneInfo(s.timezone))
    out = IvrOutcome(language=s.default_language)
    out.call_id = (yield GetFullVariable("${CHANNEL(linkedid)}")) or call.uniqueid
    started = call_started(out.call_id, now)
    line = None
    if call.line:
        try:
            line = yield Effect(deps.lines.get, call.line)
        except Exception as exc:  # noqa: BLE001 - no line table: the call still reaches 12345
            out.notes.append(f"line lookup failed: {type(exc).__name__}: {exc}")
    state = _State(route_call(line, local.time(), s.general_queue), s.default_language)
    try:
        if s.set_channel_language and call.language != state.language:
            yield SetVariable("CHANNEL(language)", state.language)
        if call.line in s.status_lines and deps.status_lookup is not None:
            state.status = True  # a number of its own: straight to the status line
        else:
            yield from _front(deps, call, state, local, out)
        if state.status:
            heard = yield from status_line(deps.status_lookup, call.caller, out.notes)
            out.notes.append(f"status line: ticket {heard.ticket or '-'}, then {heard.next} {heard.reason}".rstrip())
            if heard.next == "agent":
                state.agent_now = True
            else:
                state.hangup = True
    except ChannelHungUp:
        out.hung_up = True
        out.language, out.route = state.language, state.route
        return out
    out.language, out.route, out.agent_now = state.language, state.route, state.agent_now
    if state.hangup:
        return (yield from _finish(deps, out, _variables(deps, state, out, "hangup", position="")))
    if state.emergency is not None:
        target, trigger = state.emergency
        out.linkage = Linkage(deps.clock(), target, trigger, "menu")
        out.ticket = yield from file_draft(deps, call, out.call_id, None, Understanding(), out.linkage, out.notes)
        yield from log_linkage(deps, out.ticket, out.linkage, out.notes)
        return (yield from _emergency(deps, call, state, out))
    if state.route.action == "queue" and not state.agent_now and (
            state.force_intake or (s.intake and (yield from _no_agent_free(deps, state.route, out)))):
        yield from _intake(deps, call, state, local, out)
        if out.hung_up:
            return (yield from _finish(deps, out, {"HOTLINE_TICKET": out.ticket or ""}))
        if out.linkage is not None:
            return (yield from _emergency(deps, call, state, out))
    position = ""
    if state.route.action == "queue":
        position = yield from _position(deps, state.route.queue, started, out)
    return (yield from _finish(deps, out, _variables(deps, state, out, state.route.action, position)))


def _front(deps: IvrDeps, call: CallInfo, state: _State, local: datetime,
           out: IvrOutcome) -> Generator[Any, Any, None]:
    """Announcement, greeting, language menu, line menu: whatever a caller meets before routing."""
    s = deps.settings
    language_menu = s.language_menu()
    line_menu = deps.menus.for_line(call.line, local.time())
    first_menu = language_menu or line_menu
    escape = "0" + (first_menu.digits.replace("0", "") if first_menu else "")
    status_key = s.status_key if call.line in s.status_key_lines and deps.status_lookup is not None else None
    if status_key is not None and status_key not in escape:
        escape += status_key
    typed = None
    for prompt in (_announcement(deps, state.route), s.prompts.greeting):
        if prompt and typed is None:
            typed = (yield StreamFile(prompt, escape)).digit
    if typed == "0":
        state.agent_now = True
        return
    if typed is not None and typed == status_key:
        state.status = True
        return
    if language_menu is not None:
        _, action = yield from ask(language_menu, typed)
        typed = None
        if action.kind == "lang":
            yield from _set_language(deps, state, action.arg)
        else:
            yield from _apply(deps, state, None, action, language_menu, local, out)
            return
    menu: Menu | None = line_menu
    steps = 0
    while menu is not None:
        steps += 1
        if steps > s.max_menu_steps:
            out.notes.append(f"menu loop: more than {s.max_menu_steps} menus, caller sent to an agent")
            state.agent_now = True
            return
        digit, action = yield from ask(menu, typed)
        typed = None
        if action.kind == "menu":
            menu = deps.menus.menus[action.arg]
        elif action.kind == "lang":
            yield from _set_language(deps, state, action.arg)
        else:
            yield from _apply(deps, state, digit, action, menu, local, out)
            return


def _announcement(deps: IvrDeps, route: Route) -> str | None:
    if route.announcement is None:
        return None
    if route.announcement == "merged-number":
        return deps.settings.prompts.merged_number
    return f"hotline/{route.announcement}"


def _set_language(deps: IvrDeps, state: _State, code: str | None) -> Generator[Any, Any, None]:
    state.language = code or deps.settings.default_language
    if deps.settings.set_channel_language:
        yield SetVariable("CHANNEL(language)", state.language)


def _apply(deps: IvrDeps, state: _State, digit: str | None, action: MenuAction, menu: Menu,
           local: datetime, out: IvrOutcome) -> Generator[Any, Any, None]:
    kind = action.kind
    if kind == "agent":
        state.agent_now = True
    elif kind == "queue":
        state.route = Route("queue", action.arg or deps.settings.general_queue, reason=f"菜单{menu.id}选择")
    elif kind == "intake":
        state.force_intake = True
    elif kind == "hangup":
        state.hangup = True
    elif kind == "emergency":
        if action.arg in deps.settings.emergency_targets:
            how = f"按键{digit}" if digit else "无按键（超时动作）"
            state.emergency = (action.arg, f"{how}（菜单{menu.id}）")
        else:
            out.notes.append(f"emergency target {action.arg} not configured: caller sent to an agent")
            state.agent_now = True
    elif kind == "subcenter":
        if action.arg is None:
            if state.route.action != "subcenter":
                out.notes.append(f"menu {menu.id}: 'subcenter' on a line without a sub-center, route kept")
            return
        line = None
        try:
            line = yield Effect(deps.lines.get, action.arg)
        except Exception as exc:  # noqa: BLE001 - unknown sub-center: 12345 answers
            out.notes.append(f"sub-center lookup failed: {type(exc).__name__}: {exc}")
        state.route = route_call(line, local.time(), deps.settings.general_queue)


def _no_agent_free(deps: IvrDeps, route: Route, out: IvrOutcome) -> Generator[Any, Any, bool]:
    """No agent free in any queue the call reaches before it would wait: a 双号并行 caller whose
    dedicated queue has nobody who could answer goes on to the pool at once, so its agents count."""
    if deps.live is None:
        return True
    try:
        if int((yield Effect(deps.live.available_agents, route.queue))) > 0:
            return False
        if not (route.overflow_queue and route.overflow_when_unstaffed):
            return True
        if (yield Effect(deps.live.accepts_callers, route.queue)):
            return True
        return int((yield Effect(deps.live.available_agents, route.overflow_queue))) <= 0
    except Exception as exc:  # noqa: BLE001 - no live data: treat as none free
        out.notes.append(f"live queue state unavailable: {type(exc).__name__}: {exc}")
        return True


def _intake(deps: IvrDeps, call: CallInfo, state: _State, local: datetime,
            out: IvrOutcome) -> Generator[Any, Any, None]:
    intake = yield from record(deps, intake_path(deps.recordings_dir, out.call_id, local))
    intake = yield from transcribe(deps, intake)
    out.intake, out.hung_up = intake, intake.hung_up
    out.notes += intake.notes
    understanding = yield from understand(deps, intake.transcript, out.notes)
    target = understanding.emergency_target
    if target is not None and target not in deps.settings.emergency_targets:
        out.notes.append(f"emergency word {understanding.emergency_word} for {target}, not configured")
        target = None
    if target is not None:
        result = "caller_hung_up" if intake.hung_up else "routed"
        out.linkage = Linkage(deps.clock(), target, understanding.emergency_word or "", "keyword", result)
        state.emergency = (target, understanding.emergency_word or "")
    out.ticket = yield from file_draft(deps, call, out.call_id, intake, understanding, out.linkage, out.notes)
    if out.linkage is not None:
        yield from log_linkage(deps, out.ticket, out.linkage, out.notes)
    elif out.ticket and not intake.hung_up and intake.outcome != "skipped":
        yield from _say_ticket_number(deps, out)


def _say_ticket_number(deps: IvrDeps, out: IvrOutcome) -> Generator[Any, Any, None]:
    """您的工单编号是 + the 14 digits (SAY DIGITS, digits/<d> in the channel's language) + 请记录."""
    p = deps.settings.prompts
    if not p.ticket_number:
        return
    try:
        yield StreamFile(p.ticket_number, "")
        yield SayDigits(out.ticket, "")
        if p.ticket_number_after:
            yield StreamFile(p.ticket_number_after, "")
    except ChannelHungUp:
        out.hung_up = True


def _emergency(deps: IvrDeps, call: CallInfo, state: _State, out: IvrOutcome) -> Generator[Any, Any, IvrOutcome]:
    if out.linkage is not None:
        yield from follow_linkage(deps, call.channel, out.call_id, call.caller, out.ticket, out.linkage, out.notes)
    prompt = deps.settings.prompts.emergency_transfer
    if prompt:
        try:
            yield StreamFile(prompt, "")
        except ChannelHungUp:
            out.hung_up = True
            return (yield from _finish(deps, out, {"HOTLINE_TICKET": out.ticket or ""}))
    state.route = Route("queue", deps.settings.general_queue, reason="紧急联动")
    out.route = state.route
    variables = _variables(deps, state, out, "emergency", position="")
    variables["HOTLINE_EMERGENCY"] = out.linkage.target if out.linkage else ""
    variables["HOTLINE_ACTION"] = variables.pop("HOTLINE_ACTION")
    return (yield from _finish(deps, out, variables))


def _position(deps: IvrDeps, queue: str, started: datetime, out: IvrOutcome) -> Generator[Any, Any, str]:
    """1 + callers who joined `queue` before this call began: intake never costs the place in line."""
    if deps.live is None:
        return ""
    try:
        ahead = int((yield Effect(deps.live.callers_ahead, queue, started)))
    except Exception as exc:  # noqa: BLE001 - unknown: end of the line
        out.notes.append(f"queue position unavailable: {type(exc).__name__}: {exc}")
        return ""
    return str(max(0, ahead) + 1)


def _variables(deps: IvrDeps, state: _State, out: IvrOutcome, action: str, position: str) -> dict[str, str]:
    variables = {"HOTLINE_LANG": state.language, "HOTLINE_TICKET": out.ticket or ""}
    route_vars = state.route.channel_variables()
    route_vars.pop("HOTLINE_ACTION")
    variables.update(route_vars)
    last_queue = state.route.overflow_queue or state.route.queue
    max_wait = deps.queue_waits(last_queue) if deps.queue_waits is not None and last_queue else None
    if max_wait:  # an admin's 最长等待 for the queue the caller waits in last; else the dialplan's global
        variables["HOTLINE_QUEUE_TIMEOUT"] = str(max_wait)
    variables.update(HOTLINE_QUEUE_POSITION=position, HOTLINE_EMERGENCY="", HOTLINE_ACTION=action)
    return variables


def _finish(deps: IvrDeps, out: IvrOutcome, variables: dict[str, str]) -> Generator[Any, Any, IvrOutcome]:
    """Set the variables in order (HOTLINE_ACTION last); a lost channel ends it without error."""
    if variables.get("HOTLINE_ACTION") == "hangup" and deps.settings.prompts.goodbye:
        try:
            yield StreamFile(deps.settings.prompts.goodbye, "")
        except ChannelHungUp:
            out.hung_up = True
    for name, value in variables.items():
        try:
            yield SetVariable(name, value)
        except FastAgiError as exc:
            out.notes.append(f"variables not all set: {exc.error_id}")
            break
        out.variables[name] = value
    return out
