"""callback attempts (回访, issue 13)

One row per try to reach a citizen about a replied ticket: by an agent, the automated survey or SMS.
Also an index on ticket_event.at: the 考核 report (reports/) selects a period's events.

Revision ID: 0016_callbacks
Revises: 0011_departments
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_callbacks'
down_revision = '0013_catalogue'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callback_attempt',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('ticket_number', sa.String(length=14), nullable=False),
    sa.Column('attempt_no', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=True),
    sa.CheckConstraint("channel IN ('agent', 'survey', 'sms')", name=op.f('ck_callback_attempt_channel_valid')),
    sa.CheckConstraint("outcome IN ('reached', 'no_answer', 'busy', 'unreachable', 'hung_up', 'invalid', 'refused')",
                       name=op.f('ck_callback_attempt_outcome_valid')),
    sa.CheckConstraint("satisfaction IS NULL OR satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')",
                       name=op.f('ck_callback_attempt_satisfaction_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempt')),
    sa.UniqueConstraint('key', name=op.f('uq_callback_attempt_key')),
    sa.UniqueConstraint('ticket_number', 'attempt_no', name='uq_callback_attempt_ticket_attempt')
    )
    with op.batch_alter_table('callback_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_callback_attempt_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_attempt_ticket_number'), ['ticket_number'], unique=False)
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_event_at', ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_event_at')
    with op.batch_alter_table('callback_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_attempt_ticket_number'))
        batch_op.drop_index('ix_callback_attempt_at')
    op.drop_table('callback_attempt')
