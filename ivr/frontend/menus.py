"""DTMF menus as data: a TOML file says what each key does, which lines get which menu.

The default front end has no menu at all (GB/T 33358-2016 advises against voice menus on
the intake line); menus are for sub-centers, after-hours service or lines that ask for one.

    [menus.after-hours]
    prompt = "hotline/after-hours-menu"   # prompt catalogue name (a sound file for Asterisk)
    timeout_ms = 5000                     # wait for a key after the prompt
    retries = 2                           # invalid or missing keys tolerated before timeout_action
    invalid_prompt = "hotline/invalid"
    timeout_action = "agent"
    options = { "1" = "intake", "2" = "emergency:119" }

    [assign]
    lines = { "12319" = "construction" }
    after_hours = { menu = "after-hours", hours = "22:00-08:00" }

Key 0 always reaches an agent: a menu that does not define "0" gets `"0" = "agent"`.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ivr.frontend.errors import MenuConfigError
from queues.routing import parse_hours, within

DEFAULT_MENUS = Path(__file__).with_name("default_menus.toml")
EMERGENCY_TARGETS = ("110", "119", "120", "122")
ACTION_KINDS = ("agent", "queue", "menu", "intake", "emergency", "subcenter", "lang", "hangup")
_NEEDS_ARG = {"queue", "menu", "emergency", "lang"}
_NO_ARG = {"agent", "intake", "hangup"}
_DIGIT = re.compile(r"[0-9*#]")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*")
_LANG = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")
_LINE = re.compile(r"\+?[0-9]{3,16}")


@dataclass(frozen=True)
class MenuAction:
    """`kind` is one of ACTION_KINDS; `arg` the part after ':' (queue name, menu id, 119, zh ...)."""

    kind: str
    arg: str | None = None

    def __str__(self) -> str:
        return self.kind if self.arg is None else f"{self.kind}:{self.arg}"


AGENT = MenuAction("agent")


def parse_action(text: str) -> MenuAction:
    """'queue:line-12319' -> MenuAction('queue', 'line-12319'); ValueError says what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"action must be text, got {text!r}")
    kind, sep, arg = text.strip().partition(":")
    if kind not in ACTION_KINDS:
        raise ValueError(f"unknown action {text!r}; expected one of {', '.join(ACTION_KINDS)}")
    if kind in _NO_ARG and sep:
        raise ValueError(f"action {kind!r} takes no argument: {text!r}")
    if kind in _NEEDS_ARG and not arg:
        raise ValueError(f"action {kind!r} needs an argument, e.g. {kind}:<...>: {text!r}")
    if kind == "emergency" and arg not in EMERGENCY_TARGETS:
        raise ValueError(f"emergency target must be one of {'/'.join(EMERGENCY_TARGETS)}: {text!r}")
    if kind == "lang" and not _LANG.fullmatch(arg):
        raise ValueError(f"language code {arg!r} is not like zh, yue, en or zh_CN")
    if kind in ("queue", "menu") and not _NAME.fullmatch(arg):
        raise ValueError(f"{kind} name {arg!r} may only use letters, digits and _ . - /")
    if kind == "subcenter" and sep and not _LINE.fullmatch(arg):
        raise ValueError(f"subcenter:<line number> expects a hotline number: {text!r}")
    return MenuAction(kind, arg if sep else None)


@dataclass(frozen=True)
class Menu:
    id: str
    prompt: str
    options: Mapping[str, MenuAction]
    timeout_ms: int = 5000
    retries: int = 2
    invalid_prompt: str = "hotline/invalid"
    timeout_action: MenuAction = AGENT

    @property
    def digits(self) -> str:
        return "".join(self.options)


@dataclass(frozen=True)
class MenuBook:
    """All menus, and which one a call meets: its line's own menu, else the after-hours one, else none."""

    menus: Mapping[str, Menu] = field(default_factory=lambda: MappingProxyType({}))
    line_menus: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    after_hours_menu: str | None = None
    after_hours: str | None = None

    def for_line(self, number: str | None, local_now: time) -> Menu | None:
        if number is not None and number in self.line_menus:
            return self.menus[self.line_menus[number]]
        if self.after_hours_menu and self.after_hours and within(self.after_hours, local_now):
            return self.menus[self.after_hours_menu]
        return None


def _int(problems: list[str], where: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{where} must be a whole number {low}..{high}, got {value!r}")
        return low
    return value


def _prompt(problems: list[str], where: str, value: Any) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        problems.append(f"{where} must be a prompt name like hotline/menu-main, got {value!r}")
        return "invalid"
    return value


def _action(problems: list[str], where: str, value: Any) -> MenuAction:
    try:
        return parse_action(value)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return AGENT


def _menu(problems: list[str], menu_id: str, raw: Any) -> Menu | None:
    where = f"menus.{menu_id}"
    if not _NAME.fullmatch(menu_id):
        problems.append(f"{where}: menu id may only use letters, digits and _ . - /")
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be a table")
        return None
    unknown = set(raw) - {"prompt", "options", "timeout_ms", "retries", "invalid_prompt", "timeout_action"}
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    options: dict[str, MenuAction] = {}
    raw_options = raw.get("options", {})
    if not isinstance(raw_options, Mapping) or not raw_options:
        problems.append(f"{where}.options must map keys to actions, e.g. {{ \"1\" = \"agent\" }}")
        raw_options = {}
    for digit, text in raw_options.items():
        if not _DIGIT.fullmatch(str(digit)):
            problems.append(f"{where}.options: key {digit!r} is not one of 0-9 * #")
            continue
        options[str(digit)] = _action(problems, f"{where}.options.{digit}", text)
    options.setdefault("0", AGENT)
    return Menu(
        id=menu_id,
        prompt=_prompt(problems, f"{where}.prompt", raw.get("prompt")),
        options=MappingProxyType(options),
        timeout_ms=_int(problems, f"{where}.timeout_ms", raw.get("timeout_ms", 5000), 500, 60000),
        retries=_int(problems, f"{where}.retries", raw.get("retries", 2), 0, 9),
        invalid_prompt=_prompt(problems, f"{where}.invalid_prompt", raw.get("invalid_prompt", "hotline/invalid")),
        timeout_action=_action(problems, f"{where}.timeout_action", raw.get("timeout_action", "agent")),
    )


def menus_from_dict(data: Mapping[str, Any], source: str = "menus") -> MenuBook:
    """Build and check a MenuBook; every fault is reported at once in one MenuConfigError."""
    problems: list[str] = []
    unknown = set(data) - {"menus", "assign"}
    if unknown:
        problems.append(f"unknown top-level keys {sorted(unknown)} (expected [menus.<id>] and [assign])")
    raw_menus = data.get("menus", {})
    if not isinstance(raw_menus, Mapping):
        raise MenuConfigError(["[menus] must be a table of menus"], source)
    menus = {mid: m for mid, raw in raw_menus.items() if (m := _menu(problems, str(mid), raw)) is not None}
    for menu in menus.values():
        for digit, action in [*menu.options.items(), ("timeout_action", menu.timeout_action)]:
            if action.kind == "menu" and action.arg not in menus:
                problems.append(f"menus.{menu.id}.{digit}: menu {action.arg!r} is not defined")
    assign = data.get("assign", {})
    lines: dict[str, str] = {}
    after_menu = after_hours = None
    if not isinstance(assign, Mapping):
        problems.append("[assign] must be a table")
        assign = {}
    raw_lines = assign.get("lines") or {}
    if not isinstance(raw_lines, Mapping):
        problems.append("assign.lines must map line numbers to menu ids")
        raw_lines = {}
    for number, menu_id in raw_lines.items():
        if not _LINE.fullmatch(str(number)):
            problems.append(f"assign.lines: {number!r} is not a hotline number")
        elif menu_id not in menus:
            problems.append(f"assign.lines.{number}: menu {menu_id!r} is not defined")
        else:
            lines[str(number)] = menu_id
    if (after := assign.get("after_hours")) is not None and not isinstance(after, Mapping):
        problems.append('assign.after_hours must be { menu = "<id>", hours = "HH:MM-HH:MM" }')
    elif after is not None:
        after_menu, after_hours = after.get("menu"), after.get("hours")
        if after_menu not in menus:
            problems.append(f"assign.after_hours: menu {after_menu!r} is not defined")
        try:
            parse_hours(str(after_hours))
        except ValueError as exc:
            problems.append(f"assign.after_hours.hours: {exc}")
    if problems:
        raise MenuConfigError(problems, source)
    return MenuBook(MappingProxyType(menus), MappingProxyType(lines), after_menu, after_hours)


def load_menus(path: str | Path = DEFAULT_MENUS) -> MenuBook:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MenuConfigError([f"cannot read: {exc}"], str(path)) from None
    return menus_from_dict(data, str(path))
