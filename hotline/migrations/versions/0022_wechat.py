"""wechat: the messages of the official account's push, each with the draft it went to (issue 16.2)

Revision ID: 0022_wechat
Revises: 0019_channels
"""
from alembic import op
import sqlalchemy as sa

revision = '0022_wechat'
down_revision = '0023_hotspots'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'wechat_message',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('msg_id', sa.String(length=32), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('account', sa.String(length=64), nullable=False),
        sa.Column('msg_type', sa.String(length=16), nullable=False),
        sa.Column('content', sa.Text(), nullable=True),
        sa.Column('pic_url', sa.String(length=512), nullable=True),
        sa.Column('media_id', sa.String(length=128), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ticket_number', sa.String(length=14), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_message')),
        sa.UniqueConstraint('msg_id', name=op.f('uq_wechat_message_msg_id')),
    )
    op.create_index(op.f('ix_wechat_message_openid'), 'wechat_message', ['openid'], unique=False)
    op.create_index(op.f('ix_wechat_message_received_at'), 'wechat_message', ['received_at'], unique=False)
    op.create_index(op.f('ix_wechat_message_ticket_number'), 'wechat_message', ['ticket_number'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wechat_message_ticket_number'), table_name='wechat_message')
    op.drop_index(op.f('ix_wechat_message_received_at'), table_name='wechat_message')
    op.drop_index(op.f('ix_wechat_message_openid'), table_name='wechat_message')
    op.drop_table('wechat_message')
