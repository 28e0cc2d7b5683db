"""The agi_* environment block Asterisk sends first on every FastAGI connection (pure parsing)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl

from .errors import MalformedEnvironment

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class AgiEnvironment:
    """All agi_* values as sent (`raw`), plus the parts a call flow needs.

    Asterisk sends the literal `unknown` for absent values (agi_dnid, agi_rdnis, caller id);
    `raw` keeps it, the typed accessors map it to None so nobody reads it as a number.
    """

    raw: Mapping[str, str]
    route: str
    params: Mapping[str, str]
    args: tuple[str, ...]
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def value(self, key: str) -> str | None:
        """`key` with or without the agi_ prefix; None when absent or `unknown`."""
        found = self.raw.get(key if key.startswith("agi_") else f"agi_{key}")
        return None if found is None or found == UNKNOWN else found

    @property
    def network_script(self) -> str:
        return self.raw.get("agi_network_script", "")

    @property
    def channel(self) -> str | None:
        return self.value("channel")

    @property
    def uniqueid(self) -> str | None:
        return self.value("uniqueid")

    @property
    def language(self) -> str | None:
        return self.value("language")

    @property
    def callerid(self) -> str | None:
        return self.value("callerid")

    @property
    def calleridname(self) -> str | None:
        return self.value("calleridname")

    @property
    def dnid(self) -> str | None:
        return self.value("dnid")

    @property
    def rdnis(self) -> str | None:
        return self.value("rdnis")

    @property
    def context(self) -> str | None:
        return self.value("context")

    @property
    def extension(self) -> str | None:
        return self.value("extension")

    @property
    def priority(self) -> str | None:
        return self.value("priority")


def split_network_script(script: str) -> tuple[str, dict[str, str]]:
    """`agitest?mode=full&lang=zh` -> ("agitest", {"mode": "full", "lang": "zh"}); first value wins."""
    path, _, query = script.partition("?")
    params: dict[str, str] = {}
    for key, val in parse_qsl(query, keep_blank_values=True) if query else ():
        params.setdefault(key, val)
    return path.strip("/"), params


def parse_environment(block: bytes) -> AgiEnvironment:
    """Parse the block up to (and optionally including) its terminating empty line.

    Values are UTF-8 (Chinese caller names); undecodable bytes become U+FFFD rather than
    dropping the call. Lines must be `agi_<key>: <value>`; `agi_arg_3: ` is an empty argument.
    """
    raw: dict[str, str] = {}
    extra: dict[str, str] = {}
    text = block.decode("utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    for line in text.split("\n"):
        if not line:
            continue
        key, sep, val = line.partition(": ")
        if not sep:
            key, sep, val = line.partition(":")
        if not sep or not key or " " in key:
            raise MalformedEnvironment(f"environment line without 'key: value': {line[:80]!r}")
        target = raw if key.startswith("agi_") else extra
        if key not in target:
            target[key] = val
    if "agi_network_script" not in raw:
        raise MalformedEnvironment("no agi_network_script in the environment")
    args: list[str] = []
    while (arg := raw.get(f"agi_arg_{len(args) + 1}")) is not None:
        args.append(arg)
    route, params = split_network_script(raw["agi_network_script"])
    return AgiEnvironment(
        raw=MappingProxyType(raw),
        route=route,
        params=MappingProxyType(params),
        args=tuple(args),
        extra=MappingProxyType(extra),
    )
