"""AMI event filters of Asterisk 22 manager.c (`manager_add_filter` / `should_send_event`), pure.

Legacy: `eventfilter = <regex>` (`!<regex>` excludes), matched against the whole event text.
Advanced: `eventfilter(action(include|exclude),name(<Event>),header(<Header>),method(<m>)) = [pattern]`
with method regex / exact / starts_with / ends_with / contains / none (default none; a leading `!` in
the pattern also excludes unless action() is given). With include filters only, an event must match
one; with exclude filters only, it must match none; with both, include first, then exclude.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .ami_wire import format_message

METHODS = ("regex", "exact", "starts_with", "ends_with", "contains", "none")
Headers = list[tuple[str, Any]]


class FilterError(ValueError):
    """A filter Asterisk refuses (FILTER_FORMAT_ERROR / FILTER_COMPILE_FAIL): it is logged and skipped."""

    error_id = "standin.ami_filter"


class FilterCompileError(FilterError):
    """The pattern is not a valid regular expression (FILTER_COMPILE_FAIL)."""

    error_id = "standin.ami_filter_regex"


@dataclass(frozen=True)
class EventFilter:
    exclude: bool
    method: str
    pattern: str = ""
    name: str | None = None
    header: str | None = None
    regex: re.Pattern[str] | None = None

    def _match_text(self, text: str) -> bool:
        if self.method == "regex":
            return self.regex is not None and self.regex.search(text) is not None
        if self.method == "starts_with":
            return text.startswith(self.pattern)
        if self.method == "ends_with":
            return text.endswith(self.pattern)
        if self.method == "contains":
            return self.pattern in text
        if self.method == "exact":
            return text == self.pattern
        return True

    def matches(self, event: str, msg: Headers, text: str | None = None) -> bool:
        """`filter_cmp_fn`: event name, then one header's values or the whole event text."""
        if self.name is not None and event != self.name:
            return False
        if self.header is None:
            if self.method == "none":
                return True
            return self._match_text(text if text is not None else event_text(msg))
        for key, value in msg:
            if key == self.header:
                value = (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).lstrip(" \t")
                if value and self._match_text(value):
                    return True
        return False


def event_text(msg: Headers) -> str:
    """The event as Asterisk's filters see it (`eqe->eventdata`: every line plus the closing blank line)."""
    return format_message(msg).decode("utf-8", "replace")


def parse_filter(criteria: str, pattern: str) -> EventFilter:
    """One `eventfilter… = pattern` line (or the Filter action's MatchCriteria/Filter) → EventFilter."""
    exclude = pattern.startswith("!")
    if exclude:
        pattern = pattern[1:]
    if "(" not in criteria:
        if not pattern:
            raise FilterError(f"'{criteria} = {pattern}': legacy filter with no filter pattern")
        return EventFilter(exclude, "regex", pattern, regex=_compile(pattern))
    options = criteria[criteria.index("(") + 1 :].strip()
    if not options or not options.endswith(")"):
        raise FilterError(f"'{criteria}': filter options not formatted correctly")
    method, name, header, found = "none", None, None, set()
    for option in (o for o in re.split(r"[ ,)]+", options) if o):
        kind, _, value = option.partition("(")
        kind = next((k for k in ("action", "name", "header", "method") if kind.startswith(k)), kind)
        value = value.strip()
        if kind not in ("action", "name", "header", "method") or not value:
            raise FilterError(f"'{criteria}': filter option '{option}' is unknown or empty")
        if kind == "action":
            if value not in ("include", "exclude"):
                raise FilterError(f"'{criteria}': 'action' option '{value}' is unknown")
            exclude = value == "exclude"
        elif kind == "name":
            name = value
        elif kind == "header":
            header = value[:-1] if value.endswith(":") else value
        else:
            if value not in METHODS:
                raise FilterError(f"'{criteria}': 'method' option '{value}' is unknown")
            method = value
        found.add(kind)
    if not found:
        raise FilterError(f"'{criteria}': no action, name, header or method option found")
    if not pattern and method != "none":
        raise FilterError(f"'{criteria}': method can't be '{method}' with no filter pattern")
    if pattern and method == "none":
        raise FilterError(f"'{criteria} = {pattern}': method can't be 'none' with a filter pattern")
    if not {"name", "header"} & found and method == "none":
        raise FilterError(f"'{criteria}': no name or header option found and no filter pattern")
    return EventFilter(exclude, method, pattern, name, header, _compile(pattern) if method == "regex" else None)


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise FilterCompileError(f"unable to compile regex filter for '{pattern}': {exc}") from None


@dataclass
class EventFilters:
    """One session's include and exclude filters (copied from its manager.conf user at login)."""

    include: list[EventFilter] = field(default_factory=list)
    exclude: list[EventFilter] = field(default_factory=list)

    def add(self, item: EventFilter) -> None:
        (self.exclude if item.exclude else self.include).append(item)

    def copy(self) -> EventFilters:
        return EventFilters(list(self.include), list(self.exclude))

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def allows(self, event: str, msg: Headers) -> bool:
        """`should_send_event`."""
        text: list[str] = []

        def hit(filters: list[EventFilter]) -> bool:
            for f in filters:
                if f.header is None and f.method != "none" and not text:
                    text.append(event_text(msg))
                if f.matches(event, msg, text[0] if text else None):
                    return True
            return False

        if self.include and not hit(self.include):
            return False
        return not (self.exclude and hit(self.exclude))
