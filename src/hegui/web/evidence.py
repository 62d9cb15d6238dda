"""Evidence files uploaded through the dashboard: stored by content hash, registered in the rules wing's evidence
register, and approved or rejected (with a reason) by an officer."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from hegui.errors import LimitExceededError, UsageError
from hegui.store import session
from hegui.store.models import EvidenceItem
from hegui.web.models import EvidenceReview

CHUNK = 1 << 20


def store_file(stream: BinaryIO, folder: Path, limit: int) -> tuple[Path, str, int]:
    """Copy an upload into ``folder/<sha256[:2]>/<sha256>`` (written atomically; the same file twice is stored
    once). Over ``limit`` bytes it stops and raises, keeping nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise LimitExceededError(f"the file is larger than the limit of {limit // (1 << 20)} MiB")
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        target = folder / digest[:2] / digest
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            os.unlink(tmp)
        else:
            os.replace(tmp, target)
        return target, digest, size
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def register(
    *, service: str, duty_id: str, path: Path, title: str, uploaded_by: str, review_due: dt.date | None = None,
    url: str | None = None,
) -> int:  # fmt: skip
    from hegui.rules.evidence import add_evidence

    with session(url) as s:
        item = add_evidence(
            s,
            service=service,
            duty_id=duty_id,
            location=str(path),
            title=title,
            owner=uploaded_by,
            review_due=review_due,
        )
        s.add(
            EvidenceReview(
                evidence_id=item.id, status="pending", reason="", uploaded_by=uploaded_by, decided_by=""
            )
        )
        return int(item.id)


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    id: int
    duty_id: str
    title: str
    sha256: str
    status: str
    reason: str
    uploaded_by: str
    decided_by: str
    date: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def listing(
    service: str, url: str | None = None, *, duty: str | None = None, limit: int = 200, after: int = 0
) -> list[EvidenceRow]:
    with session(url) as s:
        q = (
            select(EvidenceItem, EvidenceReview)
            .join(EvidenceReview, EvidenceReview.evidence_id == EvidenceItem.id, isouter=True)
            .where(EvidenceItem.service == service, EvidenceItem.id > after)
            .order_by(EvidenceItem.id)
            .limit(limit)
        )
        if duty:
            q = q.where(EvidenceItem.duty_id == duty)
        return [
            EvidenceRow(
                e.id,
                e.duty_id,
                e.title or Path(e.location).name,
                e.sha256 or "",
                r.status if r else "registered",
                r.reason if r else "",
                r.uploaded_by if r else e.owner,
                r.decided_by if r else "",
                e.evidence_date.isoformat(),
            )
            for e, r in s.execute(q)
        ]


def decide(evidence_id: int, approve: bool, reason: str, by: str, url: str | None = None) -> EvidenceRow:
    if not approve and not reason.strip():
        raise UsageError("a rejection needs a reason")
    with session(url) as s:
        review = s.get(EvidenceReview, evidence_id)
        item = s.get(EvidenceItem, evidence_id)
        if item is None:
            raise UsageError(f"no evidence item {evidence_id}")
        if review is None:
            review = EvidenceReview(
                evidence_id=evidence_id, status="pending", reason="", uploaded_by=item.owner, decided_by=""
            )
            s.add(review)
        review.status = "approved" if approve else "rejected"
        review.reason = reason
        review.decided_by = by
        review.decided_at = dt.datetime.now(dt.UTC)
        s.flush()
        return EvidenceRow(
            item.id, item.duty_id, item.title, item.sha256 or "", review.status, review.reason, review.uploaded_by,
            review.decided_by, item.evidence_date.isoformat(),
        )  # fmt: skip
