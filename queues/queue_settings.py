"""Per-queue settings an admin edits in the console: what hotline-queues.conf says of each queue
(strategy, ring timeout, wrap-up), how long a caller waits before the callback list, and who works
a 专席 queue with which penalty.

Parsing is pure (JSON in, QueueSettings out, errors in Chinese); `QueueSettingsService` keeps the
current set in memory for the IVR and the desk and stores it through a key/value adapter
(`get(key)` / `put(key, value, actor)`), so a restart keeps the edits.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

STORE_KEY = "queue_settings"
# app_queue strategies that make sense for a hotline floor (ringall rings every free agent at once).
STRATEGIES = {"rrmemory": "轮询（记忆上次位置）", "leastrecent": "最久未接听优先", "fewestcalls": "接听最少优先",
              "random": "随机", "ringall": "同时振铃", "linear": "按顺序"}
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class QueueSettingsError(ValueError):
    error_id = "queues.settings.invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class QueueSettings:
    strategy: str = "rrmemory"
    ring_timeout: int = 15       # seconds one agent rings before the next is tried (queues.conf timeout)
    wrapuptime: int = 10         # after-call work before the agent is offered the next caller
    max_wait: int | None = None  # seconds in the queue before the caller goes to the callback list
    members: tuple[str, ...] = ()            # usernames who may sign in (empty: every agent)
    penalties: Mapping[str, int] = field(default_factory=dict)  # username -> penalty (0 rings first)

    def allows(self, username: str) -> bool:
        return not self.members or username in self.members

    def penalty(self, username: str) -> int:
        return int(self.penalties.get(username, 0))

    def as_dict(self) -> dict:
        data = asdict(self)
        data["members"], data["penalties"] = list(self.members), dict(self.penalties)
        return data


def _int(data: Mapping, name: str, label: str, low: int, high: int, *, optional: bool = False) -> int | None:
    value = data.get(name)
    if optional and value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise QueueSettingsError(name, f"{label}应为 {low}–{high} 之间的整数（秒）" if name != "penalty"
                                 else f"{label}应为 {low}–{high} 之间的整数")
    return value


def parse_queue_settings(data: Mapping, known_users: set[str] | None = None) -> QueueSettings:
    if not isinstance(data, Mapping):
        raise QueueSettingsError("body", "队列设置格式错误")
    strategy = data.get("strategy", "rrmemory")
    if strategy not in STRATEGIES:
        raise QueueSettingsError("strategy", "振铃策略只能是：" + "、".join(STRATEGIES.values()))
    members_raw = data.get("members") or []
    if isinstance(members_raw, str):
        members_raw = [m for m in re.split(r"[\s,，、]+", members_raw) if m]
    if not isinstance(members_raw, list) or not all(isinstance(m, str) for m in members_raw):
        raise QueueSettingsError("members", "专席坐席应为用户名列表")
    members = tuple(dict.fromkeys(m.strip() for m in members_raw if m.strip()))
    penalties_raw = data.get("penalties") or {}
    if isinstance(penalties_raw, list):  # the form's lines: "agent01=2"
        if not all(isinstance(item, str) and item.count("=") == 1 for item in penalties_raw):
            raise QueueSettingsError("penalties", "优先级每行写作 用户名=数字，如 agent01=2")
        penalties_raw = dict(item.replace(" ", "").split("=") for item in penalties_raw)
    if not isinstance(penalties_raw, Mapping):
        raise QueueSettingsError("penalties", "优先级（penalty）应为 用户名 → 数字")
    penalties = {}
    for username, value in penalties_raw.items():
        penalties[str(username)] = _int({"penalty": value}, "penalty", f"{username} 的优先级", 0, 99)
    for username in (*members, *penalties):
        if not _USERNAME.match(username):
            raise QueueSettingsError("members", f"用户名格式错误：{username[:64]}")
        if known_users is not None and username not in known_users:
            raise QueueSettingsError("members", f"没有这个用户：{username}")
    return QueueSettings(strategy=strategy, ring_timeout=_int(data, "ring_timeout", "振铃超时", 5, 120),
                         wrapuptime=_int(data, "wrapuptime", "话后处理时间", 0, 600),
                         max_wait=_int(data, "max_wait", "最长等待时间", 30, 7200, optional=True),
                         members=members, penalties=penalties)


def parse_all(stored: Mapping | None) -> dict[str, QueueSettings]:
    return {queue: parse_queue_settings(value) for queue, value in (stored or {}).items()}


class QueueSettingsService:
    def __init__(self, store, initial: Mapping[str, QueueSettings] | None = None) -> None:
        self._store = store
        self.current: dict[str, QueueSettings] = dict(initial or {})

    @classmethod
    async def load(cls, store) -> QueueSettingsService:
        return cls(store, parse_all(await store.get(STORE_KEY)))

    def of(self, queue: str) -> QueueSettings | None:
        return self.current.get(queue)

    def max_wait(self, queue: str) -> int | None:
        found = self.current.get(queue)
        return found.max_wait if found else None

    async def save(self, queue: str, settings: QueueSettings, actor: str) -> None:
        updated = {**self.current, queue: settings}
        await self._store.put(STORE_KEY, {q: s.as_dict() for q, s in updated.items()}, actor)
        self.current = updated
