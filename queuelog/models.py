"""Where the engine stopped reading each queue_log source (file inode + offset, or table id), and
the agent lines kept for the per-agent figures."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime


class QueueLogPosition(Base):
    __tablename__ = "queue_log_position"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)  # "<server>:<path>" or "<server>:table"
    inode: Mapped[int] = mapped_column(BigInteger, default=0)
    offset: Mapped[int] = mapped_column("byte_offset", BigInteger, default=0)  # bytes in the file, or the last table id
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class QueueLogAgentLine(Base):
    """A queue_log line about an agent (queuelog/agents.py AGENT_EVENTS), kept for the per-agent
    figures: sign-in/out, pauses with their reason, rings not answered, answers and talk times.
    Keyed by the line's own text (`line_key`, its SHA-1): re-reading after a restart, or a rotated
    file's tail, stores nothing twice."""

    __tablename__ = "queue_log_agent_line"
    __table_args__ = (UniqueConstraint("source", "line_key", name="uq_queue_log_agent_line_key"),
                      Index("ix_queue_log_agent_line_time", "time"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200))
    line_key: Mapped[str] = mapped_column(String(40))
    time: Mapped[int] = mapped_column(BigInteger)                 # epoch seconds, as queue_log has it
    callid: Mapped[str] = mapped_column(String(80), default="")
    queue: Mapped[str] = mapped_column(String(128), default="")
    agent: Mapped[str] = mapped_column(String(128), default="")
    event: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(String(512), default="")    # data1|data2|... as in the line

TABLES = (QueueLogPosition.__table__, QueueLogAgentLine.__table__)
