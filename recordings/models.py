"""The recordings catalogue: one row per MixMonitor recording, and the retention job's runs.

Rows are written from AMI events (recordings.service) and by the retention job; a row is
never removed, a deleted file leaves its row in state `deleted` so the catalogue stays
an audit trail. Instants are aware UTC (`UtcDateTime` from the ticket store).
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime


class State(StrEnum):
    RECORDING = "recording"
    COMPLETE = "complete"
    MISSING = "missing"
    DAMAGED = "damaged"
    DELETED = "deleted"


STATE_LABELS = {State.RECORDING: "录音中", State.COMPLETE: "完整", State.MISSING: "文件缺失",
                State.DAMAGED: "文件损坏", State.DELETED: "已过期删除"}


class Recording(Base):
    __tablename__ = "recording"
    __table_args__ = (
        CheckConstraint("state IN ('recording', 'complete', 'missing', 'damaged', 'deleted')", name="state_valid"),
        Index("ix_recording_started_at", "started_at"),
        Index("ix_recording_state_started_at", "state", "started_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    server: Mapped[str] = mapped_column(String(64), default="")
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(128))
    line: Mapped[str | None] = mapped_column(String(32), index=True)
    queue: Mapped[str | None] = mapped_column(String(64), index=True)
    agent_interface: Mapped[str | None] = mapped_column(String(128), index=True)
    agent_name: Mapped[str | None] = mapped_column(String(128))
    caller_number: Mapped[str | None] = mapped_column(String(32), index=True)
    ticket_number: Mapped[str | None] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    file_path: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    file_mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default=State.RECORDING.value)
    problem: Mapped[str | None] = mapped_column(Text)
    # [{"from": iso, "to": iso | null, "direction": "both"}]; written from MixMonitorMute events only
    pauses: Mapped[list] = mapped_column(JSON, default=list)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RetentionRun(Base):
    """One row per retention pass: the job's memory across restarts."""

    __tablename__ = "recording_retention_run"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    examined: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    kept_open_ticket: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)


TABLES = [Recording.__table__, RetentionRun.__table__]
