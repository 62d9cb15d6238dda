"""The evidence register: per duty, evidence items (file or URL, hash, date, owner, review date) and the team's
status, kept in :mod:`hegui.store`; and the register's view of an assessment (open, overdue, unproven, proven).

A file's SHA-256 is taken when it is registered and checked again when the status is computed, so a report that
was edited after it was filed as evidence shows up as ``changed``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui import store
from hegui.errors import InputError, UsageError
from hegui.rules.engine import Assessment, assess
from hegui.rules.profile import ServiceProfile
from hegui.store.models import DutyState, EvidenceItem

EvidenceKind = Literal["file", "url", "hegui_output"]
TeamStatus = Literal["open", "in_progress", "met", "not_applicable"]
TEAM_STATUSES: tuple[str, ...] = ("open", "in_progress", "met", "not_applicable")

# Register states, worst first: the order `hegui rules status` sorts by.
STATES: tuple[str, ...] = (
    "overdue",
    "changed",
    "unproven",
    "open",
    "in_progress",
    "proven",
    "not_applicable",
)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise InputError(f"cannot read evidence file: {exc.strerror}", path=path) from None
    return h.hexdigest()


def add_evidence(
    session: Session,
    *,
    service: str,
    duty_id: str,
    location: str,
    owner: str = "",
    title: str = "",
    kind: EvidenceKind | None = None,
    evidence_date: dt.date | None = None,
    review_due: dt.date | None = None,
    sha256: str | None = None,
    known_duties: set[str] | None = None,
) -> EvidenceItem:
    """Register one item; files (and hegui outputs) are hashed now, URLs keep the hash the caller supplies."""
    duty_id = canonical_id(duty_id, known_duties)
    if kind is None:
        kind = "url" if location.startswith(("http://", "https://")) else "file"
    if kind in ("file", "hegui_output"):
        path = Path(location)
        if not path.is_file():
            raise InputError("evidence file does not exist", path=path)
        sha256 = sha256_file(path)
        location = str(path.resolve())
    elif sha256 is not None and len(sha256) != 64:
        raise UsageError(f"sha256 must be 64 hex digits, got {len(sha256)} characters")
    item = EvidenceItem(
        service=service,
        duty_id=duty_id,
        kind=kind,
        location=location,
        sha256=sha256,
        title=title,
        owner=owner,
        evidence_date=evidence_date or dt.date.today(),
        review_due=review_due,
    )
    session.add(item)
    session.flush()
    return item


def canonical_id(duty_id: str, known: set[str] | None) -> str:
    """The id as the catalogue spells it (ids are matched case-insensitively: ``gai-09b`` is ``GAI-09b``)."""
    if known is None:
        return duty_id.upper()
    by_upper = {k.upper(): k for k in known}
    try:
        return by_upper[duty_id.upper()]
    except KeyError:
        raise UsageError(f"no duty {duty_id!r} in the catalogue; see `hegui rules explain`") from None


def set_status(
    session: Session,
    *,
    service: str,
    duty_id: str,
    status: str,
    note: str = "",
    known_duties: set[str] | None = None,
) -> DutyState:
    """Record the team's status for a duty (upsert on service + duty)."""
    if status not in TEAM_STATUSES:
        raise UsageError(f"status must be one of {', '.join(TEAM_STATUSES)}, got {status!r}")
    duty_id = canonical_id(duty_id, known_duties)
    row = session.scalars(
        select(DutyState).where(DutyState.service == service, DutyState.duty_id == duty_id)
    ).one_or_none()
    if row is None:
        row = DutyState(service=service, duty_id=duty_id, status=status, note=note)
        session.add(row)
    else:
        row.status = status
        row.note = note
    session.flush()
    return row


@dataclass
class DutyRecord:
    """One applicable duty as the register sees it."""

    duty_id: str
    state: str
    evidence: list[EvidenceItem] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    due: dt.date | None = None
    reasons_zh: list[str] = field(default_factory=list)

    def note(self, zh: str, en: str) -> None:
        """Record why the duty is in its state, in both report languages."""
        self.reasons_zh.append(zh)
        self.reasons.append(en)

    def reasons_in(self, lang: str) -> list[str]:
        return self.reasons_zh if lang == "zh" else self.reasons


def register_view(
    session: Session, assessment: Assessment, *, today: dt.date | None = None
) -> list[DutyRecord]:
    """State of every applicable duty: evidence present and current → proven; review date passed or filing deadline
    passed without evidence → overdue; file changed since registered → changed; marked met without evidence →
    unproven; nothing yet → open."""
    today = today or dt.date.today()
    service = assessment.profile.name
    items = session.scalars(select(EvidenceItem).where(EvidenceItem.service == service)).all()
    # Keyed case-insensitively: registers written before ids kept their case hold e.g. "GAI-09B" for GAI-09b.
    states = {
        s.duty_id.upper(): s
        for s in session.scalars(select(DutyState).where(DutyState.service == service)).all()
    }
    by_duty: dict[str, list[EvidenceItem]] = {}
    for it in items:
        by_duty.setdefault(it.duty_id.upper(), []).append(it)
    out: list[DutyRecord] = []
    for finding in assessment.findings:
        did = finding.duty.id
        ev = by_duty.get(did.upper(), [])
        team = states.get(did.upper())
        due = finding.deadline.due if finding.deadline else None
        rec = DutyRecord(duty_id=did, state="open", evidence=ev, due=due)
        if team is not None and team.status == "not_applicable":
            rec.state = "not_applicable"
            rec.note(team.note or "团队标记为不适用", team.note or "marked not applicable by the team")
        elif ev:
            rec.state = "proven"
            for it in ev:
                if it.review_due is not None and it.review_due < today:
                    rec.state = "overdue"
                    what = it.title or it.location
                    rec.note(f"{what} 应于 {it.review_due} 复核", f"review of {what} was due {it.review_due}")
                if it.kind in ("file", "hegui_output") and it.sha256:
                    path = Path(it.location)
                    if not path.is_file():
                        rec.state = "changed" if rec.state == "proven" else rec.state
                        rec.note(f"{it.location} 已不存在", f"{it.location} no longer exists")
                    elif sha256_file(path) != it.sha256:
                        rec.state = "changed" if rec.state == "proven" else rec.state
                        rec.note(
                            f"{it.location} 登记后已被修改", f"{it.location} changed since it was registered"
                        )
        else:
            if due is not None and due < today:
                rec.state = "overdue"
                rec.note(f"期限 {due} 已过，尚无证据", f"deadline {due} passed without evidence")
            elif team is not None and team.status == "met":
                rec.state = "unproven"
                rec.note("已标记为满足，但未登记证据", "marked met, but no evidence is registered")
            elif team is not None and team.status == "in_progress":
                rec.state = "in_progress"
        out.append(rec)
    out.sort(key=lambda r: (STATES.index(r.state), r.duty_id))
    return out


@contextmanager
def store_session(db: str | None = None) -> Iterator[Session]:
    """One unit of work on the evidence store through :func:`hegui.store.session` (``db`` URL, else
    ``$HEGUI_DATABASE_URL``, hegui.toml, then ./hegui.db): the one way the rules wing opens the store."""
    with store.session(db) as s:
        yield s


def assess_with_register(
    profile: ServiceProfile | Mapping[str, Any] | str | Path,
    *,
    db: str | None = None,
    today: dt.date | None = None,
    as_of: dt.date | None = None,
) -> tuple[Assessment, list[DutyRecord]]:
    """Assess a profile and read its evidence register in one call (what ``rules status`` and reports need)."""
    assessment = assess(profile, as_of=as_of)
    with store_session(db) as s:
        records = register_view(s, assessment, today=today)
    return assessment, records


def attachment_evidence(session: Session, service: str, attachment_ids: set[str]) -> dict[str, list[str]]:
    """Registered evidence locations by filing-package item id (``FILING-ATT-1`` ...) for one service."""
    rows = session.scalars(
        select(EvidenceItem).where(EvidenceItem.service == service, EvidenceItem.duty_id.in_(attachment_ids))
    ).all()
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.duty_id, []).append(row.location)
    return out
