"""tickets at scale: an indexed text search on PostgreSQL and the indexes the lists and inboxes filter by
(issue 12 benchmarks, issue 15.3)

Revision ID: 0024_h20scale_search
Revises: 0020_partner_api
"""
from alembic import op

revision = '0024_h20scale_search'
down_revision = '0024_h20loop_loop'
branch_labels = None
depends_on = None

# frozen copies of tickets/search.py's DDL (a migration must not change when the code does)
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

INDEXES = {
    'ix_ticket_status_created_at': ['status', 'created_at'],
    'ix_ticket_lead_department_id_status_created_at': ['lead_department_id', 'status', 'created_at'],
    'ix_ticket_lead_department_id_replied_at': ['lead_department_id', 'replied_at'],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, 'ticket', columns, unique=False, if_not_exists=True)
    if op.get_bind().dialect.name == 'postgresql':  # a GIN over character bigrams (tickets/search.py)
        for sql in (*FUNCTIONS, CREATE_INDEX):
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for sql in DROP:
            op.execute(sql)
    for name in INDEXES:
        op.drop_index(name, table_name='ticket')
