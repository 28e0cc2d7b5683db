"""Imports every capability's models so `Base.metadata` holds the whole schema (for Alembic)."""
from __future__ import annotations

import importlib

from hotline.db import Base

MODEL_MODULES = (
    "agent_console.accounts.models",
    "tickets.models",
    "tickets.search",  # the PostgreSQL text index made with the ticket table
    "queues.models",
    "calls.models",
    "agent_console.auth.models",
    "agent_console.audit.models",
    "agent_console.admin.models",
    "knowledge.models",
    "recordings.models",
    "transfer.models",
    "queuelog.models",
    "callbacks.models",
    "tickets.handling_models",
    "surveys.models",
    "supervision.models",
    "channels.models",
    "channels.partner.models",
    "hotspots.models",
)


def load_metadata():
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
