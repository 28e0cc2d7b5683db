"""Asterisk's queue_log, the durable record of every queued call (Asterisk records, the engine follows).

`records` parses lines into typed records (bad lines counted, never fatal), `tail` reads a
queue_log file from a saved inode + offset across rotation and truncation, `reducer` turns
records into per-call outcomes as Asterisk counted them, `follower` runs the three and hands
settled outcomes to a sink passed in (the call log's reconcile, wired in hotline/), and
`position` keeps the saved offset in the database.
"""
from queuelog.records import BadLine, QueueLogRecord, parse_line, parse_lines
from queuelog.reducer import CallOutcome, QueueLogReducer, Visit, VisitOutcome

__all__ = ["BadLine", "CallOutcome", "QueueLogRecord", "QueueLogReducer", "Visit", "VisitOutcome",
           "parse_line", "parse_lines"]
