"""Dialplan applications: name (lower case) → async callable(pbx, chan, data) -> None | "hangup"."""
from __future__ import annotations

from ..confbridge import confbridge_app
from .agi_app import agi_app
from .basic import BASIC_APPS
from .chanspy import chanspy_app
from .dial import dial_app
from .more_apps import MORE_APPS
from .queue_app import queue_app
from .recording_apps import RECORDING_APPS

APPLICATIONS = {**BASIC_APPS, **MORE_APPS, **RECORDING_APPS, "dial": dial_app, "queue": queue_app, "agi": agi_app, "confbridge": confbridge_app,
                "chanspy": chanspy_app}
