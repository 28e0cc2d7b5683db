"""Typed errors of the recordings capability; `error_id` is stable, messages Chinese first."""
from __future__ import annotations


class RecordingError(Exception):
    error_id = "recording.error"
    status = 400

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class RecordingNotFound(RecordingError):
    error_id = "recording.not_found"
    status = 404

    def __init__(self, recording_id: object) -> None:
        super().__init__("没有这条录音", f"recording {recording_id} not found")


class RecordingUnavailable(RecordingError):
    """The file is missing, damaged or deleted: it is never served as if it were fine."""

    error_id = "recording.unavailable"
    status = 409


class NoActiveRecording(RecordingError):
    error_id = "recording.no_active_call"
    status = 409

    def __init__(self, interface: str) -> None:
        super().__init__("当前没有正在录音的通话", f"no recording in progress for {interface or 'no phone'}")


class RecordingActionFailed(RecordingError):
    """Asterisk refused or did not answer a MixMonitor/MixMonitorMute action."""

    error_id = "recording.ami_failed"
    status = 503


class InvalidSearch(RecordingError):
    error_id = "recording.invalid_search"
    status = 400
