"""The source register: every training-data source with its kind, licence, authorisations, collection records and
status, and the assessments that approved or blacklisted it. Service functions over ``hegui.store``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

from hegui.corpus.models import CorpusAssessment, CorpusSource
from hegui.errors import InputError, UsageError
from hegui.stats import RateDecision
from hegui.store import session

Kind = Literal["open-source", "self-collected", "commercial", "user-input"]
KINDS: tuple[str, ...] = ("open-source", "self-collected", "commercial", "user-input")
STATUSES: tuple[str, ...] = ("pending", "approved", "blacklisted")


@dataclass(frozen=True, slots=True)
class SourceView:
    name: str
    kind: str
    licence: str
    documents: list[dict[str, str]]
    collection: str
    contract: str
    status: str
    reason: str
    assessments: list[dict[str, Any]]
    gaps: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _gaps(src: CorpusSource) -> list[str]:
    """What the register still lacks for this kind of source (the duties of GAI-07 / TC260-003 §5.1)."""
    gaps = []
    if src.kind == "open-source" and not src.licence:
        gaps.append("open-source data needs its licence")
    if src.kind == "commercial" and not (src.contract or src.documents):
        gaps.append("commercial data needs a contract or authorisation documents")
    if src.kind == "self-collected" and not src.collection:
        gaps.append("self-collected data needs its collection record (how, when, user agent, robots.txt)")
    if src.kind == "user-input" and not src.documents:
        gaps.append("user input used for training needs the users' authorisation (agreement version)")
    return gaps


def _view(src: CorpusSource, assessments: Sequence[CorpusAssessment]) -> SourceView:
    return SourceView(
        src.name,
        src.kind,
        src.licence,
        list(src.documents or []),
        src.collection,
        src.contract,
        src.status,
        src.reason,
        [
            {
                "scanned": a.scanned,
                "flagged": a.flagged,
                "rate": a.rate,
                "ci_low": a.ci_low,
                "ci_high": a.ci_high,
                "outcome": a.outcome,
                "lexicon_digest": a.lexicon_digest,
                "scan_id": a.scan_id,
                "at": a.created_at.isoformat() if a.created_at else "",
            }
            for a in assessments
        ],
        _gaps(src),
    )


def _document(path: str) -> dict[str, str]:
    p = Path(path)
    try:
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError as exc:
        raise InputError(f"cannot read document: {exc.strerror}", path=p) from None
    return {"path": str(p), "sha256": digest}


def add_source(
    name: str,
    kind: str,
    *,
    licence: str = "",
    documents: Sequence[str] = (),
    collection: str = "",
    contract: str = "",
    url: str | None = None,
) -> SourceView:
    """Register a source (documents are recorded with their SHA-256, so a later swap shows)."""
    if kind not in KINDS:
        raise UsageError(f"unknown source kind {kind!r}; choose from {', '.join(KINDS)}")
    if not name.strip():
        raise UsageError("a source needs a name")
    docs = [_document(d) for d in documents]
    with session(url) as s:
        if s.scalar(select(CorpusSource).where(CorpusSource.name == name)) is not None:
            raise UsageError(f"source {name!r} exists already")
        src = CorpusSource(
            name=name,
            kind=kind,
            licence=licence,
            documents=docs,
            collection=collection,
            contract=contract,
            status="pending",
            reason="",
        )
        s.add(src)
        s.flush()
        return _view(src, [])


def list_sources(url: str | None = None) -> list[SourceView]:
    with session(url) as s:
        out = []
        for src in s.scalars(select(CorpusSource).order_by(CorpusSource.name)):
            rows = s.scalars(
                select(CorpusAssessment)
                .where(CorpusAssessment.source_id == src.id)
                .order_by(CorpusAssessment.id)
            ).all()
            out.append(_view(src, rows))
        return out


def get_source(name: str, url: str | None = None) -> SourceView:
    for v in list_sources(url):
        if v.name == name:
            return v
    raise UsageError(f"no source named {name!r}; see 'hegui corpus source list'")


def record_assessment(
    name: str, decision: RateDecision, *, lexicon_digest: str = "", scan_id: str = "", url: str | None = None
) -> SourceView:
    """Store a source assessment and set the status it implies: over 5% → blacklisted (with the reason), at most
    5% → approved; undecided leaves the status as it was."""
    with session(url) as s:
        src = s.scalar(select(CorpusSource).where(CorpusSource.name == name))
        if src is None:
            raise UsageError(f"no source named {name!r}; add it first with 'hegui corpus source add'")
        s.add(
            CorpusAssessment(
                source_id=src.id,
                scanned=decision.n,
                flagged=decision.successes,
                rate=decision.rate,
                ci_low=decision.ci_low,
                ci_high=decision.ci_high,
                outcome=decision.outcome,
                lexicon_digest=lexicon_digest,
                scan_id=scan_id,
            )
        )
        if decision.outcome == "does not conform":
            src.status = "blacklisted"
            src.reason = (
                f"harmful rate {decision.rate:.2%} (95% CI {decision.ci_low:.2%}-{decision.ci_high:.2%}) "
                f"over {decision.threshold:.0%} on {decision.n} items"
            )
        elif decision.outcome == "conforms":
            src.status = "approved"
            src.reason = f"harmful rate {decision.rate:.2%}, 95% CI up to {decision.ci_high:.2%}"
        s.flush()
        rows = s.scalars(
            select(CorpusAssessment).where(CorpusAssessment.source_id == src.id).order_by(CorpusAssessment.id)
        ).all()
        return _view(src, rows)
