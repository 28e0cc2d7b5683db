"""revocation, login and sessions: idle timeout, password history and age

Revision ID: 0010_sessions_passwords
Revises: 0008_console_settings
Create Date: 2026-12-02 17:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_sessions_passwords'
down_revision = '0009_i10a_queue_log'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('console_sessions') as batch:
        batch.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_history_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_history'))
    )
    op.create_index('ix_password_history_user_id', 'password_history', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_password_history_user_id', table_name='password_history')
    op.drop_table('password_history')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('password_changed_at')
    with op.batch_alter_table('console_sessions') as batch:
        batch.drop_column('last_seen_at')
