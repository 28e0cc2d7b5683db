"""Typed AMI errors; each carries a stable ``error_id`` that logs and callers can match on."""
from __future__ import annotations


class AmiError(Exception):
    """Base class of every AMI client error."""

    error_id = "ami.error"


class AmiProtocolError(AmiError):
    """The peer sent bytes that are not a usable AMI message."""

    error_id = "ami.protocol.malformed"

    def __init__(self, reason: str, raw: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw[:200]


class AmiMessageTooLarge(AmiProtocolError):
    """A message grew past the size cap; the reader skips to the next blank line."""

    error_id = "ami.protocol.too_large"


class AmiEncodeError(AmiError, ValueError):
    """A key or value would break AMI framing (CR, LF, NUL, or a colon in a key)."""

    error_id = "ami.encode.forbidden_char"


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error``; ``message`` is Asterisk's own text."""

    error_id = "ami.action.error"

    def __init__(self, action: str, message: str, response=None) -> None:
        super().__init__(f"{action}: {message}")
        self.action = action
        self.message = message
        self.response = response


class AmiAuthError(AmiActionError):
    """Login was refused; Asterisk closes the socket right after saying so."""

    error_id = "ami.auth.failed"


class AmiTimeout(AmiError, TimeoutError):
    """No (complete) answer to an action within its timeout."""

    error_id = "ami.action.timeout"


class AmiNotConnected(AmiTimeout):
    """The client was not ready (connected, logged in, resynced) within the timeout."""

    error_id = "ami.not_connected"


class AmiConnectionLost(AmiError, ConnectionError):
    """The connection dropped while the action was pending; it may or may not have run."""

    error_id = "ami.connection.lost"


class AmiClosed(AmiError):
    """The client was closed (or stopped after a fatal error); no more actions."""

    error_id = "ami.closed"
