"""Apply merged-hotline changes to Asterisk: render, show the diff, write, reload over AMI.

The AMI side is injected (`send(action, fields) -> response`), so the console, the CLI and
tests use the same code against a real Asterisk or the stand-in.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hotline.ami.errors import AmiActionError, AmiAuthError, AmiConnectionLost, AmiNotConnected, AmiTimeout
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
    errors: dict[str, str] = field(default_factory=dict)          # server -> what failed and the fix (Chinese)

    @property
    def ok(self) -> bool:
        return not self.errors


def preview(lines: list[LineInfo], emergency: Mapping[str, str], directory: Path, ring_timeout: int = 60,
            agi_url: str | None = None, queue_settings: Mapping | None = None) -> str:
    return diff(directory, render(lines, emergency, ring_timeout, agi_url=agi_url, queue_settings=queue_settings))


async def apply(lines: list[LineInfo], emergency: Mapping[str, str], directory: Path,
                servers: Mapping[str, Send], ring_timeout: int = 60, agi_url: str | None = None,
                queue_settings: Mapping | None = None) -> ApplyResult:
    """Write the include files, then reload every Asterisk; a failed reload is reported, not hidden."""
    files = render(lines, emergency, ring_timeout, agi_url=agi_url, queue_settings=queue_settings)
    result = ApplyResult(diff=diff(directory, files))
    result.written = write_atomically(directory, files)
    for name, send in servers.items():
        outputs: list[str] = []
        try:
            for module in RELOAD_MODULES:
                response = await send("Reload", {"Module": module})
                outputs.append(f"{module}: {getattr(response, 'text', None) or 'ok'}")
        except Exception as exc:  # noqa: BLE001 - every AMI failure is reported per server
            result.errors[name] = reload_failure(exc)
        result.reloaded[name] = outputs
    return result


def reload_failure(exc: BaseException) -> str:
    """What an administrator reads when the reload did not happen: the cause and how to fix it."""
    if isinstance(exc, AmiAuthError):
        return ("AMI 登录被拒绝（Authentication failed）：引擎的 AMI 用户名或密码与 manager.conf 不一致。"
                "请核对引擎配置 ami.servers 的 username 和 HOTLINE_AMI__SECRET（或 secret_file）与 manager.conf "
                "中该用户的 secret，改 manager.conf 后执行 asterisk -rx \"manager reload\"")
    if isinstance(exc, AmiActionError):
        return (f"交换机拒绝了 {exc.action}（{exc.message}）：请确认 manager.conf 中该用户的 write 含 system，"
                "且 pbx_config、app_queue 模块已加载（asterisk -rx \"module show like app_queue\"）")
    if isinstance(exc, AmiNotConnected | AmiConnectionLost | OSError):
        return ("连不上交换机的 AMI：请确认 Asterisk 已启动，manager.conf [general] 中 enabled = yes，"
                f"bindaddr/port 与引擎配置的 ami.servers 的 host/port 一致（{exc}）")
    if isinstance(exc, AmiTimeout):
        return f"交换机没有及时应答（{exc}）：请检查 Asterisk 是否过载或卡住"
    return f"{type(exc).__name__}: {exc}"
