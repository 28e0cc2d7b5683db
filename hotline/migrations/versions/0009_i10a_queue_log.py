"""queue_log reconcile: the queue caller's uniqueid on call records, saved queue_log positions

Revision ID: 0009_i10a_queue_log
Revises: 0008_console_settings
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_i10a_queue_log'
down_revision = '0008_console_settings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('call_record') as batch:
        batch.add_column(sa.Column('queue_uniqueid', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('reconciled_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_call_record_queue_uniqueid', ['queue_uniqueid'])
    op.create_table('queue_log_position',
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('inode', sa.BigInteger(), nullable=False),
    sa.Column('byte_offset', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_queue_log_position'))
    )


def downgrade() -> None:
    op.drop_table('queue_log_position')
    with op.batch_alter_table('call_record') as batch:
        batch.drop_index('ix_call_record_queue_uniqueid')
        batch.drop_column('reconciled_at')
        batch.drop_column('queue_uniqueid')
