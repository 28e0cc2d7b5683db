"""per-agent figures: the agent lines of queue_log (sign-in/out, pauses, rings, answers, talk times)

Revision ID: 0012_agent_figures
Revises: 0011_departments
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_agent_figures'
down_revision = '0014_dept_handling'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('queue_log_agent_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('line_key', sa.String(length=40), nullable=False),
    sa.Column('time', sa.BigInteger(), nullable=False),
    sa.Column('callid', sa.String(length=80), nullable=False),
    sa.Column('queue', sa.String(length=128), nullable=False),
    sa.Column('agent', sa.String(length=128), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('data', sa.String(length=512), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_log_agent_line')),
    sa.UniqueConstraint('source', 'line_key', name='uq_queue_log_agent_line_key')
    )
    op.create_index('ix_queue_log_agent_line_time', 'queue_log_agent_line', ['time'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_queue_log_agent_line_time', table_name='queue_log_agent_line')
    op.drop_table('queue_log_agent_line')
