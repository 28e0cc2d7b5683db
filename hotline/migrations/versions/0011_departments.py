"""department users and the department tree (issue 12)

Users get the 承办单位 they work for; departments get a level (市直部门 / 区县 / 街道乡镇) and a parent.

Revision ID: 0011_departments
Revises: 0008_console_settings
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_departments'
down_revision = '0010_sessions_passwords'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('department_code', sa.String(length=32), nullable=True))
        batch.create_index('ix_users_department_code', ['department_code'], unique=False)
    with op.batch_alter_table('ticket_department') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), server_default='city', nullable=False))
        batch.add_column(sa.Column('parent_id', Id, nullable=True))
        batch.create_foreign_key('fk_ticket_department_parent_id_ticket_department', 'ticket_department',
                                 ['parent_id'], ['id'])
        batch.create_check_constraint('kind_valid', "kind IN ('city', 'district', 'street')")


def downgrade() -> None:
    with op.batch_alter_table('ticket_department') as batch:
        batch.drop_constraint('ck_ticket_department_kind_valid', type_='check')
        batch.drop_constraint('fk_ticket_department_parent_id_ticket_department', type_='foreignkey')
        batch.drop_column('parent_id')
        batch.drop_column('kind')
    with op.batch_alter_table('users') as batch:
        batch.drop_index('ix_users_department_code')
        batch.drop_column('department_code')
