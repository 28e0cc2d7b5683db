"""二级派单: the sub-unit signs for what its parent passed to it (who and when); 共建共享 lists a
department's own knowledge entries by an index

Revision ID: 0024_h20loop_loop
Revises: 0020_partner_api
"""
from alembic import op
import sqlalchemy as sa

revision = '0024_h20loop_loop'
down_revision = '0024_h20chan_channels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_assignment') as batch:
        batch.add_column(sa.Column('accepted_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_kb_entries_department', 'kb_entries', ['department'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_kb_entries_department', table_name='kb_entries')
    with op.batch_alter_table('ticket_assignment') as batch:
        batch.drop_column('accepted_at')
        batch.drop_column('accepted_by')
