"""回访分派 (callback_route: the survey or the agents, per reply; ticket.personal_callback) and the survey's
pause switch (survey_control)

Revision ID: 0024_h20survey_split
Revises: 0020_partner_api
"""
from alembic import op
import sqlalchemy as sa


revision = '0024_h20survey_split'
down_revision = '0024_h20figs_day_figures'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
At = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal_callback', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'callback_route',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('ticket_number', sa.String(length=14), nullable=False),
        sa.Column('replied_at', At, nullable=False),
        sa.Column('route', sa.String(length=8), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('assigned_at', At, nullable=False),
        sa.Column('moved_at', At, nullable=True),
        sa.CheckConstraint("route IN ('survey', 'agent')", name=op.f('ck_callback_route_route_valid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_route')),
        sa.UniqueConstraint('ticket_number', 'replied_at', name='uq_callback_route_ticket_reply'),
    )
    op.create_index('ix_callback_route_route', 'callback_route', ['route', 'replied_at'])
    op.create_table(
        'survey_control',
        sa.Column('key', sa.String(length=16), nullable=False),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('changed_by', sa.String(length=64), nullable=False),
        sa.Column('changed_at', At, nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_survey_control')),
    )


def downgrade() -> None:
    op.drop_table('survey_control')
    op.drop_index('ix_callback_route_route', table_name='callback_route')
    op.drop_table('callback_route')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('personal_callback')
