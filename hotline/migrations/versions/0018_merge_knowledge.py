"""login attempts shared by every engine process (issue 11.3); 并单 ticket merges (issue 12.9);
knowledge proposals and revisions (共建共享, issue 12.8)

The login limiter's reservations and failures live in `login_attempt`, so several engines on
one database lock out the same guesses. (The revision id is the one given for this branch's work.)

Revision ID: 0018_merge_knowledge
Revises: 0011_departments
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_merge_knowledge'
down_revision = '0015_supervision'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    op.create_index('ix_login_attempt_username_address', 'login_attempt', ['username', 'address'], unique=False)
    op.create_index('ix_login_attempt_address_at', 'login_attempt', ['address', 'at'], unique=False)
    op.create_table('ticket_merge',
    sa.Column('duplicate_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('main_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['duplicate_id'], ['ticket.id'], name=op.f('fk_ticket_merge_duplicate_id_ticket')),
    sa.ForeignKeyConstraint(['main_id'], ['ticket.id'], name=op.f('fk_ticket_merge_main_id_ticket')),
    sa.PrimaryKeyConstraint('duplicate_id', name=op.f('pk_ticket_merge'))
    )
    op.create_index('ix_ticket_merge_main_id', 'ticket_merge', ['main_id'], unique=False)
    op.create_table('kb_proposal',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('question', sa.String(length=200), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('keywords', sa.String(length=500), nullable=False),
    sa.Column('proposer', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewer', sa.String(length=64), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_proposal'))
    )
    op.create_index('ix_kb_proposal_entry_id', 'kb_proposal', ['entry_id'], unique=False)
    op.create_index('ix_kb_proposal_state', 'kb_proposal', ['state'], unique=False)
    op.create_table('kb_revision',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.String(length=200), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('keywords', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_revision'))
    )
    op.create_index('ix_kb_revision_key', 'kb_revision', ['key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_kb_revision_key', table_name='kb_revision')
    op.drop_table('kb_revision')
    op.drop_index('ix_kb_proposal_state', table_name='kb_proposal')
    op.drop_index('ix_kb_proposal_entry_id', table_name='kb_proposal')
    op.drop_table('kb_proposal')
    op.drop_index('ix_ticket_merge_main_id', table_name='ticket_merge')
    op.drop_table('ticket_merge')
    op.drop_index('ix_login_attempt_address_at', table_name='login_attempt')
    op.drop_index('ix_login_attempt_username_address', table_name='login_attempt')
    op.drop_table('login_attempt')
