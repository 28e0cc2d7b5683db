"""Reading and writing runtime settings (`console_setting`); values are plain JSON."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .models import ConsoleSetting

PAUSE_REASONS = "pause_reasons"
CLASSIFIER_RULES = "classifier_rules"
EMERGENCY_RULES = "emergency_rules"
PASSWORD_POLICY = "password_policy"


class SettingsStore:
    def __init__(self, sessions: async_sessionmaker, clock: Callable[[], datetime], changes=None) -> None:
        self._sessions = sessions
        self._clock = clock
        self._changes = changes  # hotline.changes.SettingsChanges: told after each put has committed

    async def get(self, key: str, default: Any = None) -> Any:
        async with self._sessions() as session:
            row = await session.get(ConsoleSetting, key)
            return default if row is None else row.value

    async def put(self, key: str, value: Any, actor: str = "") -> None:
        async with self._sessions() as session, session.begin():
            row = await session.scalar(select(ConsoleSetting).where(ConsoleSetting.key == key))
            if row is None:
                session.add(ConsoleSetting(key=key, value=value, updated_at=self._clock(), updated_by=actor[:64]))
            else:
                row.value, row.updated_at, row.updated_by = value, self._clock(), actor[:64]
        if self._changes is not None:
            self._changes.notify(key)
