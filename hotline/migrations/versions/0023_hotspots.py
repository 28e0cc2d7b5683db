"""hotspots: a covering index for the counts by day × category × district × channel (issue 16.6)

Revision ID: 0023_hotspots
Revises: 0019_channels
"""
from alembic import op

revision = '0023_hotspots'
down_revision = '0019_channels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_ticket_hotspots', 'ticket', ['created_at', 'category', 'district', 'channel', 'status'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_ticket_hotspots', table_name='ticket')
