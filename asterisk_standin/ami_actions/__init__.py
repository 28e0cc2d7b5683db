"""AMI actions by area; each module exports a dict lower-case action name → handler."""
from __future__ import annotations

from .bridges import BRIDGE_ACTIONS
from .calls import CALL_ACTIONS
from .conference import CONFERENCE_ACTIONS
from .core import CORE_ACTIONS
from .queues import QUEUE_ACTIONS
from .recording import RECORDING_ACTIONS
from .transfer import TRANSFER_ACTIONS

ACTIONS = {**CORE_ACTIONS, **CALL_ACTIONS, **QUEUE_ACTIONS, **TRANSFER_ACTIONS, **RECORDING_ACTIONS, **CONFERENCE_ACTIONS, **BRIDGE_ACTIONS}
