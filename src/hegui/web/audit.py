"""The audit log: every action of every account, each entry chained to the one before by SHA-256, so an edited,
removed or inserted entry is detected by :func:`verify_chain` (``hegui web audit verify``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from hegui.store import session
from hegui.web.models import WebAudit

GENESIS = "0" * 64


def _hash(prev: str, at: dt.datetime, actor: str, action: str, target: str, detail: str) -> str:
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    body = json.dumps(
        [prev, at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), actor, action, target, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(
    actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None, url: str | None = None
) -> str:
    """Append one entry; the chain is extended under a lock (an advisory lock on PostgreSQL; SQLite serialises
    writers), so concurrent writers never fork it."""
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
    now = dt.datetime.now(dt.UTC)
    with session(url) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(4815162342)"))
        else:
            s.execute(text("UPDATE web_audit SET id = id WHERE 0"))  # take SQLite's write lock now
        last = s.scalar(select(WebAudit).order_by(WebAudit.id.desc()).limit(1))
        prev = last.hash if last is not None else GENESIS
        digest = _hash(prev, now, actor, action, target, detail_text)
        s.add(
            WebAudit(
                at=now,
                actor=actor,
                action=action,
                target=target[:200],
                detail=detail_text,
                prev_hash=prev,
                hash=digest,
            )
        )
        return digest


@dataclass(frozen=True, slots=True)
class ChainCheck:
    entries: int
    ok: bool
    first_bad: int | None
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return {"entries": self.entries, "ok": self.ok, "first_bad": self.first_bad, "problem": self.problem}


def verify_chain(url: str | None = None) -> ChainCheck:
    prev = GENESIS
    n = 0
    with session(url) as s:
        for e in s.scalars(select(WebAudit).order_by(WebAudit.id)).yield_per(1000):
            n += 1
            if e.prev_hash != prev:
                return ChainCheck(
                    n, False, e.id, f"entry {e.id} does not follow the entry before it (removed or inserted)"
                )
            if _hash(prev, e.at, e.actor, e.action, e.target, e.detail) != e.hash:
                return ChainCheck(n, False, e.id, f"entry {e.id} was changed after it was written")
            prev = e.hash
    return ChainCheck(n, True, None, "")


def entries(url: str | None = None, *, limit: int = 200, before: int | None = None) -> list[dict[str, Any]]:
    with session(url) as s:
        q = select(WebAudit).order_by(WebAudit.id.desc()).limit(limit)
        if before is not None:
            q = q.where(WebAudit.id < before)
        return [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            }
            for e in s.scalars(q)
        ]
