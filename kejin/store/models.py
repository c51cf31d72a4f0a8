"""The tables of the service. Migrations in ``kejin/store/migrations`` create exactly these (a test compares)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

ORG_KINDS = ("bureau", "bank", "fund_manager", "insurer", "enterprise")
INSTITUTION_KINDS = ("bank", "fund_manager", "insurer")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


TS = sa.DateTime(timezone=True)


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(sa.String(100))
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(TS)


class WebSession(Base):
    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 of the cookie value
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(TS)


class Enterprise(Base):
    __tablename__ = "enterprises"
    uscc: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region_code: Mapped[str] = mapped_column(sa.String(6), index=True)
    industry_code: Mapped[str | None] = mapped_column(sa.String(8))
    frontier_sectors: Mapped[str | None] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class Fact(Base):
    """One enterprise-year of facts, every field of the data norms as JSON (dates as ISO text)."""

    __tablename__ = "facts"
    __table_args__ = (sa.UniqueConstraint("uscc", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(sa.ForeignKey("enterprises.uscc"))
    year: Mapped[int] = mapped_column(sa.Integer)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    import_job_id: Mapped[int | None] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class ImportJob(Base):
    __tablename__ = "import_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")  # queued running succeeded failed
    rows_total: Mapped[int | None] = mapped_column(sa.Integer)
    rows_written: Mapped[int] = mapped_column(sa.Integer, default=0)
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(TS)


class Evaluation(Base):
    __tablename__ = "evaluations"
    __table_args__ = (sa.Index("ix_evaluations_uscc_year", "uscc", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.String(32))
    uscc: Mapped[str] = mapped_column(sa.String(18))
    year: Mapped[int] = mapped_column(sa.Integer)
    pack_ref: Mapped[str] = mapped_column(sa.String(100))
    passed: Mapped[bool | None] = mapped_column(sa.Boolean)
    status: Mapped[str | None] = mapped_column(sa.String(40))
    record: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class PointsBatch(Base):
    """A published points batch. Append-only: ``hash`` covers the header, the rows and ``prev_hash``."""

    __tablename__ = "points_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, unique=True)
    year: Mapped[int] = mapped_column(sa.Integer)
    method: Mapped[str] = mapped_column(sa.String(100))
    method_version: Mapped[str] = mapped_column(sa.String(40))
    method_sha256: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[str] = mapped_column(sa.String(40))  # ISO 8601 UTC text: hashed as stored
    published_by: Mapped[str] = mapped_column(sa.String(64))
    n_rows: Mapped[int] = mapped_column(sa.Integer)
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class PointsRow(Base):
    __tablename__ = "points_rows"
    __table_args__ = (sa.Index("ix_points_rows_batch_id_uscc", "batch_id", "uscc"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("points_batches.id"))
    uscc: Mapped[str] = mapped_column(sa.String(18))
    name: Mapped[str] = mapped_column(sa.String(200))
    region_code: Mapped[str | None] = mapped_column(sa.String(6))
    year: Mapped[int] = mapped_column(sa.Integer)
    points: Mapped[float | None] = mapped_column(sa.Float)
    stage: Mapped[str | None] = mapped_column(sa.String(40))
    tier: Mapped[str | None] = mapped_column(sa.String(40))
    percentile: Mapped[float | None] = mapped_column(sa.Float)
    input_digest: Mapped[str | None] = mapped_column(sa.String(64))
    groups: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class Consent(Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(sa.ForeignKey("enterprises.uscc"), index=True)
    institution_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    purpose: Mapped[str | None] = mapped_column(sa.String(200))
    granted_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(TS)
    revoked_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[datetime | None] = mapped_column(TS)  # None: until revoked; stored in UTC


class Fund(Base):
    __tablename__ = "funds"
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    strategy: Mapped[str] = mapped_column(sa.String(20))
    inception: Mapped[date] = mapped_column(sa.Date)
    term_years: Mapped[int] = mapped_column(sa.Integer)
    manager_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    tolerance_scheme: Mapped[str | None] = mapped_column(sa.String(60))  # None: the pack's default for the strategy


class CashFlow(Base):
    __tablename__ = "cash_flows"
    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[str] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    date: Mapped[date] = mapped_column(sa.Date)
    amount: Mapped[float | None] = mapped_column(sa.Float)  # investor's signs: calls < 0, distributions > 0
    type: Mapped[str | None] = mapped_column(sa.String(40))
    nav: Mapped[float | None] = mapped_column(sa.Float)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class FundInvestment(Base):
    """A portfolio investment of a fund: the columns of the fund ledger's investments table."""

    __tablename__ = "fund_investments"
    __table_args__ = (sa.UniqueConstraint("fund_id", "investment_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[str] = mapped_column(sa.ForeignKey("funds.id"))
    investment_id: Mapped[str] = mapped_column(sa.String(64))
    company_uscc: Mapped[str] = mapped_column(sa.String(18))
    company_name: Mapped[str | None] = mapped_column(sa.String(200))
    sectors: Mapped[str | None] = mapped_column(sa.Text)  # ";"-list, as in the ledger files
    stage: Mapped[str] = mapped_column(sa.String(20))
    region_code: Mapped[str | None] = mapped_column(sa.String(6))
    amount: Mapped[float] = mapped_column(sa.Float)
    date: Mapped[date] = mapped_column(sa.Date)
    valuation: Mapped[float | None] = mapped_column(sa.Float)
    fair_value: Mapped[float | None] = mapped_column(sa.Float)
    fair_value_date: Mapped[date | None] = mapped_column(sa.Date)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class _InvestmentRecord:
    """A record about one investment of one fund (an exit, a piece of evidence): it belongs to an
    investment of the same fund, and says who entered it and when."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[sa.ForeignKeyConstraint]:
        return (sa.ForeignKeyConstraint(["fund_id", "investment_id"], ["fund_investments.fund_id", "fund_investments.investment_id"]),)

    # the keys first and the stamps last, as in the migration
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-3)
    fund_id: Mapped[str] = mapped_column(sa.String(32), index=True, sort_order=-2)
    investment_id: Mapped[str] = mapped_column(sa.String(64), sort_order=-1)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), sort_order=1)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow, sort_order=2)


class FundExit(_InvestmentRecord, Base):
    __tablename__ = "fund_exits"
    date: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(20))
    proceeds: Mapped[float] = mapped_column(sa.Float)


class FundEvidence(_InvestmentRecord, Base):
    """Evidence for one precondition of the due-diligence exemption of one investment."""

    __tablename__ = "fund_evidence"
    precondition: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(10))
    document: Mapped[str | None] = mapped_column(sa.String(300))
    date: Mapped[date | None] = mapped_column(sa.Date)


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(TS, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor_org_id: Mapped[int | None] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(60))
    target: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    consent_id: Mapped[int | None] = mapped_column(sa.Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
