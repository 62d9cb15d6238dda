"""Declarative base shared by every wing, and the rules wing's evidence register tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Integer, MetaData, String, Text, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints so that migrations can alter them on every backend (SQLite batch mode needs names).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of all hegui tables; one MetaData so Alembic sees every wing's models."""

    metadata = MetaData(naming_convention=NAMING)


class EvidenceItem(Base):
    """One piece of evidence for one duty of one service: a file or URL, its hash, who owns it, when to review."""

    __tablename__ = "rules_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(200), index=True)
    duty_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # file | url | hegui_output
    location: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    evidence_date: Mapped[dt.date] = mapped_column(Date)
    review_due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DutyState(Base):
    """The compliance team's own status for a duty of a service (open, in progress, met, not applicable)."""

    __tablename__ = "rules_duty_state"
    __table_args__ = (UniqueConstraint("service", "duty_id", name="uq_rules_duty_state_service_duty"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(200), index=True)
    duty_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
