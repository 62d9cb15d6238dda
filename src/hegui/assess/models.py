"""The assessment's tables on the shared store: runs, the questions each run asks, answers (a cache keyed by
model, parameters and conversation) and verdicts. An answer is written as it arrives, so a killed run resumes by
asking only the questions without an answer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base


class AssessRun(Base):
    """One assessment run: where it asks, with which parameters, which banks and plan."""

    __tablename__ = "assess_run"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    endpoint: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))
    params: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: system prompt, temperature, max_tokens, stream ... (no secrets: the API key is never stored)."""
    config: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: plan, seed, banks (name, version, digest), concurrency, limits, prices."""
    status: Mapped[str] = mapped_column(String(20), default="running")
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AssessQuestion(Base):
    """A question a run asks, in its sampled order; ``cache_key`` points at its answer once there is one."""

    __tablename__ = "assess_question"

    run_id: Mapped[str] = mapped_column(ForeignKey("assess_run.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    stratum: Mapped[str] = mapped_column(String(20), default="")
    bank: Mapped[str] = mapped_column(String(200), default="")
    question: Mapped[str] = mapped_column(Text)
    messages: Mapped[str] = mapped_column(Text)
    """JSON list of chat messages without the system prompt."""
    cache_key: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[str] = mapped_column(String(10), default="")
    """``derived`` or ``authored``, as the bank said (kept for the 附件5 export)."""
    source: Mapped[str] = mapped_column(Text, default="")


class AssessAnswer(Base):
    """An answer, keyed by sha256 of (model, parameters, messages): asked once, reused by every run that agrees."""

    __tablename__ = "assess_answer"

    cache_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    finish_reason: Mapped[str] = mapped_column(String(40), default="")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str] = mapped_column(Text, default="")
    """Non-empty when every retry failed; such an answer is asked again on resume."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AssessVerdict(Base):
    """One judge's verdict on one answer of one run (keyword, classifier, refusal, llm, human, final)."""

    __tablename__ = "assess_verdict"

    run_id: Mapped[str] = mapped_column(ForeignKey("assess_run.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    judge: Mapped[str] = mapped_column(String(20), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(20))
    """For generated content ``pass`` / ``fail``; for the refusal banks ``refused`` / ``answered``."""
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
