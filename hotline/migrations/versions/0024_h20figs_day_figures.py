"""day figures: per-day 考核 counts and hotspot counts kept by the ticket store, backfilled; a covering
index for the report's year of calls (issues 13, 16)

Revision ID: 0024_h20figs_day_figures
Revises: 0020_partner_api

The backfill replays every stored history through tickets/day_figures.py's `rebuild`, the same rules
the store applies to each new event from now on, so the report reads the same figures before and
after the upgrade. It runs in the migration's transaction (a few minutes for millions of tickets).
"""
from alembic import op
import sqlalchemy as sa

revision = '0024_h20figs_day_figures'
down_revision = '0024_h20scale_search'
branch_labels = None
depends_on = None

COUNTS = ('dispatched', 'accepted', 'accepted_on_time', 'returned', 'extended', 'replied', 'replied_on_time',
          'visited', 'evaluated', 'satisfied', 'resolution_known', 'resolved', 'reopened', 'unreachable',
          'registered', 'direct')


def upgrade() -> None:
    op.create_table(
        'ticket_day_figures',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('dept', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        *[sa.Column(key, sa.Integer(), server_default='0', nullable=False) for key in COUNTS],
        sa.PrimaryKeyConstraint('day', 'dept', 'channel', name=op.f('pk_ticket_day_figures')),
    )
    op.create_table(
        'ticket_day_hotspots',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('district', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('tickets', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('day', 'category', 'district', 'channel', name=op.f('pk_ticket_day_hotspots')),
    )
    op.create_index('ix_call_record_figures', 'call_record', ['started_at', 'final_queue', 'outcome', 'hold_seconds'],
                    unique=False)
    from tickets.day_figures import rebuild
    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_call_record_figures', table_name='call_record')
    op.drop_table('ticket_day_hotspots')
    op.drop_table('ticket_day_figures')
