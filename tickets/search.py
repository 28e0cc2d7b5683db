"""Text search over tickets: a case-insensitive substring match, indexed on PostgreSQL.

Every backend keeps the exact meaning of a plain ILIKE '%text%' (what the console and the API
always promised). On PostgreSQL a GIN index of each ticket's character bigrams (every pair of
adjacent characters of content, category, reply and transcript, lower-cased) narrows the rows
first: a text of two or more characters can only be inside a ticket holding all of its bigrams,
so `bigrams(ticket) @> bigrams(text)` is a necessary condition the index answers, and the ILIKE
checks the few rows left. Chinese needs no dictionary for this: a two-character word (噪音) is
one bigram, so it is found through the index like any longer text (pg_trgm cannot: it extracts
no trigram from two characters and scans its whole index). The index is built-in GIN over
text[] and two IMMUTABLE SQL functions, so no extension is needed. Measured and compared in
docs/tickets-search.md. SQLite (the demo) runs the ILIKE alone.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import DDL, ColumnElement, Text, and_, bindparam, event, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement as _Element

from tickets.models import Ticket

INDEX = "ix_ticket_text_bigrams"
FUNCTIONS = ("""
CREATE OR REPLACE FUNCTION hotline_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(l, i, 2)), '{}')
  FROM (SELECT lower(t) AS l) s, generate_series(1, length(l) - 1) AS i
$$""", """
CREATE OR REPLACE FUNCTION hotline_ticket_bigrams(content text, category text, reply text, transcript text)
RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT hotline_bigrams(coalesce(content, '') || E'\\n' || coalesce(category, '') || E'\\n'
                         || coalesce(reply, '') || E'\\n' || coalesce(transcript, ''))
$$""")
CREATE_INDEX = (f"CREATE INDEX IF NOT EXISTS {INDEX} ON ticket USING gin "
                "(hotline_ticket_bigrams(content, category, reply, transcript))")
DROP = (f"DROP INDEX IF EXISTS {INDEX}", "DROP FUNCTION IF EXISTS hotline_ticket_bigrams(text, text, text, text)",
        "DROP FUNCTION IF EXISTS hotline_bigrams(text)")

# create_all (tests, benchmarks) gets what the migration 0024_h20scale makes; the index is outside
# the model's metadata (an expression over SQL functions), and hotline/migrations/env.py skips it
for _sql in (*FUNCTIONS, CREATE_INDEX):
    event.listen(Ticket.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
for _sql in DROP:
    event.listen(Ticket.__table__, "before_drop", DDL(_sql).execute_if(dialect="postgresql"))


class _BigramsContain(_Element):
    """`hotline_ticket_bigrams(ticket) @> hotline_bigrams(:text)` on PostgreSQL, TRUE elsewhere."""

    inherit_cache = True
    type = Text()

    def __init__(self, text: str) -> None:
        self.text = _literal(text)


@compiles(_BigramsContain)
def _anywhere(element, compiler, **kw):
    return compiler.process(true(), **kw)


@compiles(_BigramsContain, "postgresql")
def _postgresql(element, compiler, **kw):
    t = Ticket.__table__.c
    document = ", ".join(compiler.process(c, **kw) for c in (t.content, t.category, t.reply, t.transcript))
    return f"hotline_ticket_bigrams({document}) @> hotline_bigrams({compiler.process(element.text, **kw)})"


def _literal(value: str):
    """Rendered into the statement at execution: each search text gets its own plan, chosen with its
    real selectivity (a common word reads the newest tickets in order, a rare one goes through the
    index); a reused generic plan would pick one way for every text."""
    return bindparam(None, value, type_=Text(), unique=True, literal_execute=True)


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_matches(text: str, columns: Sequence) -> ColumnElement[bool]:
    """Rows where any of `columns` (of content, category, reply, transcript) holds `text`, any case."""
    exact = or_(*(col.ilike(_literal(like_pattern(text)), escape="\\") for col in columns))
    if len(text) < 2:  # no bigram: the index cannot narrow (a one-character search reads the list in order)
        return exact
    return and_(_BigramsContain(text), exact)
