"""The call-log fixtures (SQLite and PostgreSQL) shared with tests/calls."""
from tests.calls.conftest import call_log, clock, engine, sessions, tickets  # noqa: F401
