"""h20chan channels: 上行短信 (sms_inbound), early warnings sent to supervisors (hotspot_warning),
WeChat images fetched into attachments (wechat_message.media_status)

Revision ID: 0024_h20chan_channels
Revises: 0020_partner_api
"""
from alembic import op
import sqlalchemy as sa

revision = '0024_h20chan_channels'
down_revision = '0020_partner_api'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'sms_inbound',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('msg_id', sa.String(length=64), nullable=False),
        sa.Column('sender', sa.String(length=32), nullable=False),
        sa.Column('to_number', sa.String(length=32), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('adapter', sa.String(length=16), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ticket_number', sa.String(length=14), nullable=False),
        sa.Column('duplicates', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_inbound')),
        sa.UniqueConstraint('msg_id', name=op.f('uq_sms_inbound_msg_id')),
    )
    op.create_index(op.f('ix_sms_inbound_sender'), 'sms_inbound', ['sender'], unique=False)
    op.create_index(op.f('ix_sms_inbound_received_at'), 'sms_inbound', ['received_at'], unique=False)
    op.create_index(op.f('ix_sms_inbound_ticket_number'), 'sms_inbound', ['ticket_number'], unique=False)
    op.create_table(
        'hotspot_warning',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('category', sa.String(length=128), nullable=False),
        sa.Column('district', sa.String(length=64), nullable=False),
        sa.Column('today', sa.Integer(), nullable=False),
        sa.Column('mean', sa.Float(), nullable=False),
        sa.Column('z', sa.Float(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'sent')", name='state_valid'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hotspot_warning')),
        sa.UniqueConstraint('day', 'category', 'district', name='uq_hotspot_warning_day_category_district'),
    )
    op.create_index('ix_hotspot_warning_state_next_attempt_at', 'hotspot_warning', ['state', 'next_attempt_at'],
                    unique=False)
    with op.batch_alter_table('wechat_message') as batch:
        batch.add_column(sa.Column('media_status', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('media_note', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('wechat_message') as batch:
        batch.drop_column('media_note')
        batch.drop_column('media_status')
    op.drop_index('ix_hotspot_warning_state_next_attempt_at', table_name='hotspot_warning')
    op.drop_table('hotspot_warning')
    op.drop_index(op.f('ix_sms_inbound_ticket_number'), table_name='sms_inbound')
    op.drop_index(op.f('ix_sms_inbound_received_at'), table_name='sms_inbound')
    op.drop_index(op.f('ix_sms_inbound_sender'), table_name='sms_inbound')
    op.drop_table('sms_inbound')
