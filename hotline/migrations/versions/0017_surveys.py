"""automated outbound survey: survey_job and survey_do_not_call (issue 13.2)

Revision ID: 0017_surveys
Revises: 0011_departments
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_surveys'
down_revision = '0012_agent_figures'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
At = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'survey_job',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('ticket_number', sa.String(length=14), nullable=False),
        sa.Column('replied_at', At, nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_at', At, nullable=False),
        sa.Column('dialed_at', At, nullable=True),
        sa.Column('action_id', sa.String(length=64), nullable=True),
        sa.Column('channel', sa.String(length=128), nullable=True),
        sa.Column('last_outcome', sa.String(length=16), nullable=True),
        sa.Column('resolved', sa.Boolean(), nullable=True),
        sa.Column('satisfaction', sa.String(length=24), nullable=True),
        sa.Column('result', sa.String(length=16), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', At, nullable=False),
        sa.Column('updated_at', At, nullable=False),
        sa.UniqueConstraint('ticket_number', 'replied_at', name=op.f('uq_survey_job_ticket_reply')),
        sa.CheckConstraint("status IN ('pending', 'dialing', 'in_call', 'done', 'gave_up', 'blocked')",
                           name=op.f('ck_survey_job_status_valid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_job')),
    )
    op.create_index('ix_survey_job_ticket_number', 'survey_job', ['ticket_number'])
    op.create_index('ix_survey_job_due', 'survey_job', ['status', 'next_at'])
    op.create_table(
        'survey_do_not_call',
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('added_at', At, nullable=False),
        sa.PrimaryKeyConstraint('number', name=op.f('pk_survey_do_not_call')),
    )


def downgrade() -> None:
    op.drop_table('survey_do_not_call')
    op.drop_index('ix_survey_job_due', table_name='survey_job')
    op.drop_index('ix_survey_job_ticket_number', table_name='survey_job')
    op.drop_table('survey_job')
