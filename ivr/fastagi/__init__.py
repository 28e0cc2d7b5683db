"""Hardened FastAGI server on asyncio streams (replaces panoramisk.fast_agi / pyst2 fastagi)."""
from .commands import (
    Answer,
    ChannelStatus,
    Command,
    Exec,
    GetData,
    GetFullVariable,
    GetVariable,
    Hangup,
    Noop,
    RecordFile,
    SayDigits,
    SayNumber,
    SetVariable,
    StreamFile,
    Verbose,
    WaitForDigit,
)
from .environment import AgiEnvironment, parse_environment
from .errors import (
    AgiCommandError,
    ChannelHungUp,
    CommandFailed,
    CommandTimeout,
    CommandTooLong,
    CommandUsageError,
    ConnectionLost,
    FastAgiError,
    HeaderError,
    MalformedReply,
    RouteError,
    UnknownApplication,
    UnknownCommand,
    UnsafeArgument,
)
from .flow import Flow, FlowTranscript, replay_flow, run_flow
from .limits import Limits
from .protocol import AgiReply, HangupNotice, ReplyReader, parse_replies, parse_reply
from .results import ChannelState, DigitsResult, PlaybackResult, RecordOutcome, RecordResult
from .server import AgiServer, Handler, ServerStatus
from .session import AgiSession

__all__ = [
    "AgiCommandError", "AgiEnvironment", "AgiReply", "AgiServer", "AgiSession", "Answer", "ChannelHungUp",
    "ChannelState", "ChannelStatus", "Command", "CommandFailed", "CommandTimeout", "CommandTooLong",
    "CommandUsageError", "ConnectionLost", "DigitsResult", "Exec", "FastAgiError", "Flow", "FlowTranscript",
    "GetData", "GetFullVariable", "GetVariable", "Handler", "Hangup", "HangupNotice", "HeaderError", "Limits",
    "MalformedReply", "Noop", "PlaybackResult", "RecordFile", "RecordOutcome", "RecordResult", "ReplyReader",
    "RouteError", "SayDigits", "SayNumber", "ServerStatus", "SetVariable", "StreamFile", "UnknownApplication",
    "UnknownCommand", "UnsafeArgument", "Verbose", "WaitForDigit", "parse_environment", "parse_replies",
    "parse_reply", "replay_flow", "run_flow",
]
