"""dispatch catalogue and the agent form's ticket fields (issue 12 items 3-4)

派单目录 rules (category path, optional district -> lead department and co-handlers) and, on the
ticket, 事发地点 (district, street, address), the contact number for reply/回访 and the caller's name.

Revision ID: 0013_catalogue
Revises: 0011_departments
"""
from alembic import op
import sqlalchemy as sa

revision = '0013_catalogue'
down_revision = '0011_departments'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'ticket_catalogue_rule',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('district', sa.String(length=32), server_default='', nullable=False),
        sa.Column('lead_department_id', Id, nullable=False),
        sa.Column('co_codes', sa.JSON(), nullable=False),
        sa.Column('classifier_label', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['lead_department_id'], ['ticket_department.id'],
                                name=op.f('fk_ticket_catalogue_rule_lead_department_id_ticket_department')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_catalogue_rule')),
        sa.UniqueConstraint('category', 'district', name='uq_ticket_catalogue_rule_key'),
    )
    with op.batch_alter_table('ticket') as batch:
        batch.add_column(sa.Column('district', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('street', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('address', sa.String(length=256), nullable=True))
        batch.add_column(sa.Column('contact_number', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('caller_name', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ticket') as batch:
        for name in ('caller_name', 'contact_number', 'address', 'street', 'district'):
            batch.drop_column(name)
    op.drop_table('ticket_catalogue_rule')
