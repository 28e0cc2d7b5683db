"""督办 (issue 12.6) and index-friendly ticket lists (issue 12.7)

Watch rows (a ticket's running deadline, with an indexed next check time), 督办单, notices and the
sweep cursor; indexes for the sweep (ticket.updated_at, id) and the ticket lists.

Revision ID: 0015_supervision
Revises: 0011_departments
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_supervision'
down_revision = '0017_surveys'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'supervision_watch',
        sa.Column('ticket_id', Id, sa.ForeignKey('ticket.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('start', sa.DateTime(timezone=True), nullable=True),
        sa.Column('due', sa.DateTime(timezone=True), nullable=False),
        sa.Column('department_id', Id, sa.ForeignKey('ticket_department.id'), nullable=True),
        sa.Column('mark', sa.String(8), nullable=False),
        sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("mark IN ('green', 'yellow', 'red')", name='mark_valid'),
        sa.CheckConstraint("kind IN ('accept', 'complete')", name='kind_valid'),
    )
    op.create_index('ix_supervision_watch_next_check_at', 'supervision_watch', ['next_check_at'])
    op.create_index('ix_supervision_watch_mark_created_at', 'supervision_watch', ['mark', 'created_at', 'ticket_id'])
    op.create_table(
        'supervision_order',
        sa.Column('id', Id, primary_key=True, autoincrement=True),
        sa.Column('ticket_id', Id, sa.ForeignKey('ticket.id', ondelete='CASCADE'), nullable=False),
        sa.Column('department_id', Id, sa.ForeignKey('ticket_department.id'), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_by', sa.String(64), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reminders', sa.Integer(), nullable=False),
        sa.Column('escalated', sa.Boolean(), nullable=False),
        sa.Column('next_remind_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_supervision_order_ticket_id', 'supervision_order', ['ticket_id'])
    op.create_index('ix_supervision_order_next_remind_at', 'supervision_order', ['next_remind_at'])
    op.create_table(
        'supervision_notice',
        sa.Column('id', Id, primary_key=True, autoincrement=True),
        sa.Column('ticket_id', Id, sa.ForeignKey('ticket.id', ondelete='CASCADE'), nullable=False),
        sa.Column('ticket_number', sa.String(14), nullable=False),
        sa.Column('department_id', Id, sa.ForeignKey('ticket_department.id'), nullable=True),
        sa.Column('audience', sa.String(16), nullable=False),
        sa.Column('topic', sa.String(16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('dedupe', sa.String(128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(8), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(200), nullable=True),
        sa.UniqueConstraint('dedupe', 'audience', name='uq_supervision_notice_dedupe_audience'),
        sa.CheckConstraint("audience IN ('department', 'center', 'lead')", name='audience_valid'),
        sa.CheckConstraint("state IN ('pending', 'sent')", name='state_valid'),
    )
    op.create_index('ix_supervision_notice_ticket_id', 'supervision_notice', ['ticket_id'])
    op.create_index('ix_supervision_notice_state_next_attempt_at', 'supervision_notice', ['state', 'next_attempt_at'])
    op.create_index('ix_supervision_notice_department_id_id', 'supervision_notice', ['department_id', 'id'])
    op.create_index('ix_supervision_notice_audience_id', 'supervision_notice', ['audience', 'id'])
    op.create_table(
        'supervision_cursor',
        sa.Column('name', sa.String(32), primary_key=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ticket_id', Id, nullable=False),
    )
    op.create_index('ix_ticket_updated_at_id', 'ticket', ['updated_at', 'id'])
    op.create_index('ix_ticket_lead_department_id_created_at', 'ticket', ['lead_department_id', 'created_at'])
    op.create_index('ix_ticket_co_department_department_id', 'ticket_co_department', ['department_id'])
    op.create_index('ix_ticket_event_actor_ticket_id', 'ticket_event', ['actor', 'ticket_id'])


def downgrade() -> None:
    op.drop_index('ix_ticket_event_actor_ticket_id', 'ticket_event')
    op.drop_index('ix_ticket_co_department_department_id', 'ticket_co_department')
    op.drop_index('ix_ticket_lead_department_id_created_at', 'ticket')
    op.drop_index('ix_ticket_updated_at_id', 'ticket')
    op.drop_table('supervision_cursor')
    op.drop_table('supervision_notice')
    op.drop_table('supervision_order')
    op.drop_table('supervision_watch')
