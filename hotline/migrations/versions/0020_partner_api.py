"""partner API: partners, hashed API keys, partner tickets (idempotency), webhook outbox (issue 16 item 3)

Revision ID: 0020_partner_api
Revises: 0019_channels
"""
from alembic import op
import sqlalchemy as sa

revision = '0020_partner_api'
down_revision = '0021_missed_callbacks'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'api_partner',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('webhook_url', sa.String(length=512), nullable=True),
        sa.Column('webhook_secret', sa.String(length=128), nullable=True),
        sa.Column('created_at', When, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_partner')),
        sa.UniqueConstraint('code', name=op.f('uq_api_partner_code')),
    )
    op.create_table(
        'api_partner_key',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('partner_id', Id, nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.String(length=128), nullable=False),
        sa.Column('created_at', When, nullable=False),
        sa.Column('revoked_at', When, nullable=True),
        sa.Column('last_used_at', When, nullable=True),
        sa.ForeignKeyConstraint(['partner_id'], ['api_partner.id'],
                                name=op.f('fk_api_partner_key_partner_id_api_partner')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_partner_key')),
        sa.UniqueConstraint('prefix', name=op.f('uq_api_partner_key_prefix')),
    )
    op.create_index(op.f('ix_api_partner_key_partner_id'), 'api_partner_key', ['partner_id'], unique=False)
    op.create_table(
        'api_partner_ticket',
        sa.Column('ticket_number', sa.String(length=14), nullable=False),
        sa.Column('partner_id', Id, nullable=False),
        sa.Column('external_id', sa.String(length=64), nullable=True),
        sa.Column('idempotency_key', sa.String(length=128), nullable=True),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('notified_seq', sa.Integer(), nullable=False),
        sa.Column('created_at', When, nullable=False),
        sa.ForeignKeyConstraint(['partner_id'], ['api_partner.id'],
                                name=op.f('fk_api_partner_ticket_partner_id_api_partner')),
        sa.PrimaryKeyConstraint('ticket_number', name=op.f('pk_api_partner_ticket')),
        sa.UniqueConstraint('partner_id', 'idempotency_key', name='uq_api_partner_ticket_idem'),
    )
    op.create_index(op.f('ix_api_partner_ticket_partner_id'), 'api_partner_ticket', ['partner_id'], unique=False)
    op.create_table(
        'api_webhook_delivery',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('partner_id', Id, nullable=False),
        sa.Column('ticket_number', sa.String(length=14), nullable=False),
        sa.Column('event_seq', sa.Integer(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', When, nullable=False),
        sa.Column('last_error', sa.String(length=256), nullable=True),
        sa.Column('created_at', When, nullable=False),
        sa.Column('delivered_at', When, nullable=True),
        sa.ForeignKeyConstraint(['partner_id'], ['api_partner.id'],
                                name=op.f('fk_api_webhook_delivery_partner_id_api_partner')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_webhook_delivery')),
        sa.UniqueConstraint('ticket_number', 'event_seq', name='uq_api_webhook_delivery_event'),
    )
    op.create_index(op.f('ix_api_webhook_delivery_partner_id'), 'api_webhook_delivery', ['partner_id'], unique=False)
    op.create_index(op.f('ix_api_webhook_delivery_status'), 'api_webhook_delivery', ['status'], unique=False)
    op.create_index(op.f('ix_api_webhook_delivery_next_attempt_at'), 'api_webhook_delivery', ['next_attempt_at'],
                    unique=False)


def downgrade() -> None:
    for index in ('next_attempt_at', 'status', 'partner_id'):
        op.drop_index(op.f(f'ix_api_webhook_delivery_{index}'), table_name='api_webhook_delivery')
    op.drop_table('api_webhook_delivery')
    op.drop_index(op.f('ix_api_partner_ticket_partner_id'), table_name='api_partner_ticket')
    op.drop_table('api_partner_ticket')
    op.drop_index(op.f('ix_api_partner_key_partner_id'), table_name='api_partner_key')
    op.drop_table('api_partner_key')
    op.drop_table('api_partner')
