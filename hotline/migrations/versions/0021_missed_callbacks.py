"""missed callbacks: who is calling a 漏接回拨 row now, and the last outcome an agent recorded (issue 14.3)

Revision ID: 0021_missed_callbacks
Revises: 0019_channels
"""
from alembic import op
import sqlalchemy as sa

revision = '0021_missed_callbacks'
down_revision = '0022_wechat'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('call_missed') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('last_result', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('call_missed') as batch:
        batch.drop_column('last_result')
        batch.drop_column('claimed_at')
        batch.drop_column('claimed_by')
