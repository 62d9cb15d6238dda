"""The corpus wing's tables: the source register and the assessments of each source."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base


class CorpusSource(Base):
    """A training-data source: its kind, licence and authorisations, collection records, contract, status."""

    __tablename__ = "corpus_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # open-source | self-collected | commercial | user-input
    licence: Mapped[str] = mapped_column(String(200), default="")
    documents: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # {path, sha256, what}
    collection: Mapped[str] = mapped_column(Text, default="")  # how, when, with which user agent
    contract: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | blacklisted
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CorpusAssessment(Base):
    """One measurement of a source's illegal / harmful rate on a sample, and the decision it led to."""

    __tablename__ = "corpus_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("corpus_sources.id", ondelete="CASCADE"), index=True)
    scanned: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    rate: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float] = mapped_column(Float)
    ci_high: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20))
    lexicon_digest: Mapped[str] = mapped_column(String(64), default="")
    scan_id: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
