"""Typed FastAGI errors, each with a stable `error_id` for logs, metrics and tests."""
from __future__ import annotations


class FastAgiError(Exception):
    error_id = "fastagi.error"


class HeaderError(FastAgiError):
    """The agi_* environment block could not be read; the connection is dropped."""

    error_id = "fastagi.header"


class HeaderTooLarge(HeaderError):
    error_id = "fastagi.header_too_large"


class LineTooLong(HeaderError):
    error_id = "fastagi.line_too_long"


class IncompleteHeader(HeaderError):
    """The peer closed before the blank line that ends the environment."""

    error_id = "fastagi.incomplete_header"


class HeaderTimeout(HeaderError):
    error_id = "fastagi.header_timeout"


class MalformedEnvironment(HeaderError):
    error_id = "fastagi.malformed_environment"


class MalformedReply(FastAgiError):
    """A reply line we cannot pair with a command; the session cannot continue safely."""

    error_id = "fastagi.malformed_reply"


class UnsafeArgument(FastAgiError, ValueError):
    """An identifier (file, variable, application name...) that would change how Asterisk tokenises."""

    error_id = "fastagi.unsafe_argument"


class CommandTooLong(FastAgiError, ValueError):
    """res_agi reads commands into a 2048-byte buffer; a longer line would be split into two commands."""

    error_id = "fastagi.command_too_long"


class AgiCommandError(FastAgiError):
    """Asterisk rejected the command itself (510 unknown, 520 wrong usage)."""

    error_id = "fastagi.command_error"

    def __init__(self, code: int, text: str, command: bytes = b"") -> None:
        super().__init__(f"{code} {text}".strip() + (f" (command {command!r})" if command else ""))
        self.code = code
        self.text = text
        self.command = command


class UnknownCommand(AgiCommandError):
    error_id = "fastagi.unknown_command"


class CommandUsageError(AgiCommandError):
    """520: `text` is the usage text Asterisk sent, xmldoc markup included."""

    error_id = "fastagi.usage"


class ChannelHungUp(FastAgiError):
    """The caller is gone (511, or -1 followed by the HANGUP notification)."""

    error_id = "fastagi.channel_hung_up"


class CommandFailed(FastAgiError):
    """A command returned -1 and no HANGUP followed: a channel failure that is not a hangup."""

    error_id = "fastagi.command_failed"


class UnknownApplication(FastAgiError):
    """EXEC of an application Asterisk does not have (result -2)."""

    error_id = "fastagi.unknown_application"


class CommandTimeout(FastAgiError):
    """No reply in time; replies can no longer be paired with commands, so the session is closed."""

    error_id = "fastagi.command_timeout"


class ConnectionLost(FastAgiError):
    error_id = "fastagi.connection_lost"


class RouteError(FastAgiError, TypeError):
    """A route registration that can never work (plain function, duplicate path)."""

    error_id = "fastagi.route"
