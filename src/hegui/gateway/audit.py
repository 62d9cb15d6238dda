"""The gateway's records: every decision (written in the background, off the request path), complaints with
their response deadline, export and purge under a retention period (default six months)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select

from hegui.errors import UsageError
from hegui.gateway.models import GatewayComplaint, GatewayDecision
from hegui.store import session

log = logging.getLogger("hegui.gateway")

FLUSH_SECONDS = 0.2
FLUSH_ROWS = 500


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() if text else ""


@dataclass
class Decision:
    request_id: str
    user_key: str
    endpoint: str
    action: str
    direction: str = "-"
    risks: list[str] = field(default_factory=list)
    input_text: str = ""
    output_text: str = ""
    upstream_status: int = 0
    added_ms: float = 0.0
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def row(self, keep_texts: bool) -> dict[str, Any]:
        return {
            "at": self.at,
            "request_id": self.request_id,
            "user_key": self.user_key,
            "endpoint": self.endpoint,
            "action": self.action,
            "direction": self.direction,
            "risks": list(self.risks),
            "input_sha256": sha256(self.input_text),
            "output_sha256": sha256(self.output_text),
            "input_text": self.input_text if keep_texts else None,
            "output_text": self.output_text if keep_texts else None,
            "upstream_status": self.upstream_status,
            "added_ms": round(self.added_ms, 3),
        }


class DecisionLog:
    """Queue decisions from the event loop; a thread writes them in batches. ``close()`` flushes what is left."""

    def __init__(self, url: str | None = None, *, keep_texts: bool = False, structured: bool = False) -> None:
        self.url = url
        self.keep_texts = keep_texts
        self.structured = structured
        self._q: queue.Queue[Decision | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="hegui-decision-log", daemon=True)
        self._thread.start()
        self.written = 0
        self.failed = 0

    def record(self, decision: Decision) -> None:
        if self.structured:
            row = decision.row(False)
            row["at"] = row["at"].isoformat()
            log.info(json.dumps({"event": "decision", **row}, ensure_ascii=False))
        self._q.put(decision)

    def _run(self) -> None:
        pending: list[Decision] = []
        stop = False
        while not stop:
            try:
                item = self._q.get(timeout=FLUSH_SECONDS)
                if item is None:
                    stop = True
                else:
                    pending.append(item)
                    while len(pending) < FLUSH_ROWS:
                        nxt = self._q.get_nowait()
                        if nxt is None:
                            stop = True
                            break
                        pending.append(nxt)
            except queue.Empty:
                pass
            if pending:
                self._write(pending)
                pending = []

    def _write(self, items: list[Decision]) -> None:
        try:
            with session(self.url) as s:
                s.execute(insert(GatewayDecision), [d.row(self.keep_texts) for d in items])
            self.written += len(items)
        except Exception:  # the log must never take the gateway down; the failure is counted and logged
            self.failed += len(items)
            log.exception("could not write %d gateway decisions", len(items))

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=10)


def decisions(
    url: str | None = None,
    *,
    since: dt.datetime | None = None,
    user: str | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    with session(url) as s:
        q = select(GatewayDecision).order_by(GatewayDecision.id)
        if since is not None:
            q = q.where(GatewayDecision.at >= since)
        if user is not None:
            q = q.where(GatewayDecision.user_key == user)
        if limit is not None:
            q = q.limit(limit)
        rows = [{c.name: getattr(d, c.name) for c in GatewayDecision.__table__.columns} for d in s.scalars(q)]
    for r in rows:
        r["at"] = r["at"].isoformat() if r["at"] else ""
        yield r


def export_csv(rows: Iterator[dict[str, Any]]) -> str:
    """CSV for auditors, with cells that a spreadsheet would run as formulas neutralised (OWASP)."""
    buf = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for r in rows:
        if writer is None:
            writer = csv.DictWriter(buf, fieldnames=list(r))
            writer.writeheader()
        writer.writerow({k: _cell(v) for k, v in r.items()})
    return buf.getvalue()


def _cell(v: Any) -> Any:
    if isinstance(v, list):
        v = ";".join(map(str, v))
    if isinstance(v, str):
        from hegui.screen.lexicon import csv_safe

        return csv_safe(v)
    return v


def purge(retention_days: int, url: str | None = None, *, force: bool = False) -> int:
    """Delete decisions older than the retention period. Under six months needs ``force``: the rules ask for
    at least that."""
    from hegui.gateway.config import RETENTION_DAYS

    if retention_days < RETENTION_DAYS and not force:
        raise UsageError(
            f"a retention of {retention_days} days is under the six months ({RETENTION_DAYS} days) the rules ask "
            "for; pass --force if a legal reason requires it"
        )
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=retention_days)
    with session(url) as s:
        result = s.execute(delete(GatewayDecision).where(GatewayDecision.at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


# ----------------------------------------------------------------------------------------------- complaints


def file_complaint(
    content: str,
    *,
    user_key: str = "",
    kind: str = "complaint",
    request_id: str = "",
    contact: str = "",
    response_days: int,
    url: str | None = None,
) -> dict[str, Any]:
    if kind not in ("complaint", "report", "appeal"):
        raise UsageError("kind must be complaint, report or appeal")
    if not content.strip():
        raise UsageError("a complaint needs content")
    if len(content) > 20000:
        raise UsageError("a complaint may hold at most 20,000 characters")
    now = dt.datetime.now(dt.UTC)
    with session(url) as s:
        c = GatewayComplaint(
            received_at=now,
            due_at=now + dt.timedelta(days=response_days),
            user_key=user_key,
            kind=kind,
            request_id=request_id,
            content=content,
            contact=contact,
            status="open",
            answer="",
        )
        s.add(c)
        s.flush()
        return _complaint(c)


def _complaint(c: GatewayComplaint) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    due = c.due_at if c.due_at.tzinfo else c.due_at.replace(tzinfo=dt.UTC)
    return {
        "id": c.id,
        "kind": c.kind,
        "user": c.user_key,
        "request_id": c.request_id,
        "received_at": c.received_at.isoformat(),
        "due_at": due.isoformat(),
        "status": c.status,
        "overdue": c.status == "open" and due < now,
        "content": c.content,
        "contact": c.contact,
        "answer": c.answer,
    }


def complaints(url: str | None = None, *, status: str | None = None) -> list[dict[str, Any]]:
    with session(url) as s:
        q = select(GatewayComplaint).order_by(GatewayComplaint.due_at)
        if status:
            q = q.where(GatewayComplaint.status == status)
        return [_complaint(c) for c in s.scalars(q)]


def answer_complaint(complaint_id: int, answer: str, url: str | None = None) -> dict[str, Any]:
    if not answer.strip():
        raise UsageError("an answer needs text")
    with session(url) as s:
        c = s.get(GatewayComplaint, complaint_id)
        if c is None:
            raise UsageError(f"no complaint {complaint_id}")
        c.answer = answer
        c.status = "answered"
        c.answered_at = dt.datetime.now(dt.UTC)
        s.flush()
        return _complaint(c)
