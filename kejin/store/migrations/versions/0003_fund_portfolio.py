"""fund portfolio: investments, exits and exemption evidence (what the tolerance verdicts need),
and the tolerance scheme a fund names (NULL: the pack's default for its strategy)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fund_investments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.String(length=32), nullable=False),
    sa.Column('investment_id', sa.String(length=64), nullable=False),
    sa.Column('company_uscc', sa.String(length=18), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=True),
    sa.Column('sectors', sa.Text(), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('valuation', sa.Float(), nullable=True),
    sa.Column('fair_value', sa.Float(), nullable=True),
    sa.Column('fair_value_date', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_fund_investments_created_by_users')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_fund_investments_fund_id_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_investments')),
    sa.UniqueConstraint('fund_id', 'investment_id', name=op.f('uq_fund_investments_fund_id_investment_id'))
    )
    op.create_table('fund_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.String(length=32), nullable=False),
    sa.Column('investment_id', sa.String(length=64), nullable=False),
    sa.Column('precondition', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('document', sa.String(length=300), nullable=True),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_fund_evidence_created_by_users')),
    sa.ForeignKeyConstraint(['fund_id', 'investment_id'], ['fund_investments.fund_id', 'fund_investments.investment_id'], name=op.f('fk_fund_evidence_fund_id_fund_investments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_evidence'))
    )
    with op.batch_alter_table('fund_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_evidence_fund_id'), ['fund_id'], unique=False)

    op.create_table('fund_exits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.String(length=32), nullable=False),
    sa.Column('investment_id', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('proceeds', sa.Float(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_fund_exits_created_by_users')),
    sa.ForeignKeyConstraint(['fund_id', 'investment_id'], ['fund_investments.fund_id', 'fund_investments.investment_id'], name=op.f('fk_fund_exits_fund_id_fund_investments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_exits'))
    )
    with op.batch_alter_table('fund_exits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_exits_fund_id'), ['fund_id'], unique=False)

    with op.batch_alter_table('funds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tolerance_scheme', sa.String(length=60), nullable=True))



def downgrade() -> None:
    # no table copy: cash flows reference funds, and SQLite (>= 3.35) drops a plain column in place
    with op.batch_alter_table('funds', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('tolerance_scheme')

    with op.batch_alter_table('fund_exits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_exits_fund_id'))

    op.drop_table('fund_exits')
    with op.batch_alter_table('fund_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_evidence_fund_id'))

    op.drop_table('fund_evidence')
    op.drop_table('fund_investments')
