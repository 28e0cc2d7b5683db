"""channels: the SMS message log and the citizens' query codes (issue 16 items 1, 4, 5)

Revision ID: 0019_channels
Revises: 0011_departments
"""
from alembic import op
import sqlalchemy as sa

revision = '0019_channels'
down_revision = '0018_merge_knowledge'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'sms_message',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('to_number', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('adapter', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error', sa.String(length=256), nullable=True),
        sa.Column('ticket_number', sa.String(length=14), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_message')),
    )
    op.create_index(op.f('ix_sms_message_at'), 'sms_message', ['at'], unique=False)
    op.create_index(op.f('ix_sms_message_to_number'), 'sms_message', ['to_number'], unique=False)
    op.create_table(
        'citizen_query_code',
        sa.Column('ticket_number', sa.String(length=14), nullable=False),
        sa.Column('salt', sa.String(length=32), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('ticket_number', name=op.f('pk_citizen_query_code')),
    )
    op.create_table(
        'citizen_attachment',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('ticket_number', sa.String(length=14), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('stored', sa.String(length=256), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_attachment')),
        sa.UniqueConstraint('ticket_number', 'seq', name='uq_citizen_attachment_ticket_seq'),
    )
    op.create_index(op.f('ix_citizen_attachment_ticket_number'), 'citizen_attachment', ['ticket_number'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_citizen_attachment_ticket_number'), table_name='citizen_attachment')
    op.drop_table('citizen_attachment')
    op.drop_table('citizen_query_code')
    op.drop_index(op.f('ix_sms_message_to_number'), table_name='sms_message')
    op.drop_index(op.f('ix_sms_message_at'), table_name='sms_message')
    op.drop_table('sms_message')
