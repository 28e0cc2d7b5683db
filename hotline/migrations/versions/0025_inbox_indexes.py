"""a department's 办理中 at a large center's scale: its own tickets read in deadline order, its 协办
tickets probed among the open ones only (issue 12 benchmark: inbox p99 ≤ 100 ms at 1,000,000 tickets)

Revision ID: 0025_inbox_indexes
Revises: 0024_h20survey_split
"""
import sqlalchemy as sa
from alembic import op

revision = '0025_inbox_indexes'
down_revision = '0024_h20survey_split'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('dispatched', 'accepted')")


def upgrade() -> None:
    op.create_index('ix_ticket_lead_department_id_status_complete_due', 'ticket',
                    ['lead_department_id', 'status', 'complete_due', 'id'])
    op.create_index('ix_ticket_open_id_complete_due', 'ticket', ['id', 'complete_due'],
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    op.drop_index('ix_ticket_open_id_complete_due', 'ticket')
    op.drop_index('ix_ticket_lead_department_id_status_complete_due', 'ticket')
