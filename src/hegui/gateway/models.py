"""The gateway's tables: users and their strikes (Interim Measures Art. 14), every decision, and complaints."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base


class GatewayUser(Base):
    """A user's standing: ``ok``, ``warned``, ``limited`` or ``suspended`` (until an officer lifts it)."""

    __tablename__ = "gateway_users"

    user_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="ok")
    strikes_total: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GatewayStrike(Base):
    """One violation by one user: what risk, which request, when."""

    __tablename__ = "gateway_strikes"
    __table_args__ = (Index("ix_gateway_strikes_user_at", "user_key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_key: Mapped[str] = mapped_column(ForeignKey("gateway_users.user_key", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    risk: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(10))  # input | output
    request_id: Mapped[str] = mapped_column(String(64))
    cleared: Mapped[int] = mapped_column(Integer, default=0)  # 1 once an appeal or unblock set it aside


class GatewayDecision(Base):
    """What the gateway decided for one request. Texts are kept as SHA-256 only unless configured otherwise."""

    __tablename__ = "gateway_decisions"
    __table_args__ = (Index("ix_gateway_decisions_at", "at"), Index("ix_gateway_decisions_user", "user_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str] = mapped_column(String(64))
    user_key: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(
        String(20)
    )  # pass | refused | cut | warned | logged | error | suspended | limited
    direction: Mapped[str] = mapped_column(String(10))  # input | output | -
    risks: Mapped[list[str]] = mapped_column(JSON, default=list)
    input_sha256: Mapped[str] = mapped_column(String(64), default="")
    output_sha256: Mapped[str] = mapped_column(String(64), default="")
    input_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    output_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    upstream_status: Mapped[int] = mapped_column(Integer, default=0)
    added_ms: Mapped[float] = mapped_column(Float, default=0.0)


class GatewayComplaint(Base):
    """A complaint or report from a user, with the response deadline the service publishes."""

    __tablename__ = "gateway_complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    user_key: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(40), default="complaint")  # complaint | report | appeal
    request_id: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | answered | closed
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
