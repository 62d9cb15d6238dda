"""The dashboard's tables: accounts and sessions, login throttling, the hash-chained audit log, review queues and
their verdicts, and the approval of evidence files."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base


class WebUser(Base):
    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | officer | reviewer | readonly
    active: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebLoginAttempt(Base):
    __tablename__ = "web_login_attempts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # username|client address
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebAudit(Base):
    """One action; ``hash`` = SHA-256 over the previous entry's hash and this entry's fields: editing or deleting
    any entry breaks every later link, which ``hegui web audit verify`` reports."""

    __tablename__ = "web_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ReviewItem(Base):
    """Something a person must judge: an assessment answer, a gateway decision or appeal, a corpus sample."""

    __tablename__ = "web_review_items"
    __table_args__ = (
        UniqueConstraint("queue", "source_ref", name="uq_web_review_items_queue_ref"),
        Index("ix_web_review_items_queue_status_id", "queue", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue: Mapped[str] = mapped_column(String(40))  # assessment | gateway | appeals | corpus
    source_ref: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    suggested_risk: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | decided | disputed
    assigned_to: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ReviewVerdict(Base):
    __tablename__ = "web_review_verdicts"
    __table_args__ = (UniqueConstraint("item_id", "reviewer", name="uq_web_review_verdicts_item_reviewer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("web_review_items.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[str] = mapped_column(String(80))
    verdict: Mapped[str] = mapped_column(String(20))  # pass | fail
    risk_id: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class EvidenceReview(Base):
    """Approval state of one evidence item of the rules register (uploaded files are stored by content hash)."""

    __tablename__ = "web_evidence_reviews"

    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("rules_evidence.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | rejected
    reason: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[str] = mapped_column(String(80), default="")
    decided_by: Mapped[str] = mapped_column(String(80), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
