"""Apply merged-hotline changes to Asterisk: render, show the diff, write, reload over AMI.

The AMI side is injected (`send(action, fields) -> response`), so the console, the CLI and
tests use the same code against a real Asterisk or the stand-in.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from queues.render import diff, render, write_atomically
from queues.routing import LineInfo

# What Asterisk must re-read after the include files change. The Reload action needs only the
# `system` write class (manager.conf.sample leaves `command`, the CLI over AMI, out).
RELOAD_MODULES = ("pbx_config.so", "app_queue.so")

Send = Callable[..., Awaitable[object]]


@dataclass
class ApplyResult:
    diff: str
    written: list[Path] = field(default_factory=list)
    reloaded: dict[str, list[str]] = field(default_factory=dict)  # server -> outputs
    errors: dict[str, str] = field(default_factory=dict)          # server -> error text

    @property
    def ok(self) -> bool:
        return not self.errors


def preview(lines: list[LineInfo], emergency: Mapping[str, str], directory: Path, ring_timeout: int = 60,
            agi_url: str | None = None) -> str:
    return diff(directory, render(lines, emergency, ring_timeout, agi_url=agi_url))


async def apply(lines: list[LineInfo], emergency: Mapping[str, str], directory: Path,
                servers: Mapping[str, Send], ring_timeout: int = 60, agi_url: str | None = None) -> ApplyResult:
    """Write the include files, then reload every Asterisk; a failed reload is reported, not hidden."""
    files = render(lines, emergency, ring_timeout, agi_url=agi_url)
    result = ApplyResult(diff=diff(directory, files))
    result.written = write_atomically(directory, files)
    for name, send in servers.items():
        outputs: list[str] = []
        try:
            for module in RELOAD_MODULES:
                response = await send("Reload", {"Module": module})
                outputs.append(f"{module}: {getattr(response, 'text', None) or 'ok'}")
        except Exception as exc:  # noqa: BLE001 - every AMI failure is reported per server
            result.errors[name] = f"{type(exc).__name__}: {exc}"
        result.reloaded[name] = outputs
    return result
