"""Review queues: what a person must judge, one item at a time. Items come from the gateway (refused or cut
replies, appeals), the security assessment (answers awaiting a human verdict) and corpus samples; verdicts are
kept per reviewer, and with ``reviewers=2`` an item is decided when two reviewers agree (disputed otherwise)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hegui.errors import UsageError
from hegui.store import session
from hegui.web.models import ReviewItem, ReviewVerdict

QUEUES = ("assessment", "gateway", "appeals", "corpus")
VERDICTS = ("pass", "fail")
PAGE = 50


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    queue: str
    source_ref: str
    title: str
    content: str
    suggested_risk: str
    status: str
    verdicts: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _item(s: Any, row: ReviewItem) -> Item:
    vs = s.scalars(
        select(ReviewVerdict).where(ReviewVerdict.item_id == row.id).order_by(ReviewVerdict.id)
    ).all()
    return Item(
        row.id, row.queue, row.source_ref, row.title, row.content, row.suggested_risk, row.status,
        [{"reviewer": v.reviewer, "verdict": v.verdict, "risk": v.risk_id, "note": v.note} for v in vs],
    )  # fmt: skip


def add_items(queue: str, items: Iterable[dict[str, str]], url: str | None = None) -> int:
    """Add items (``source_ref``, ``title``, ``content``, optional ``suggested_risk``); an item already in the
    queue (same ``source_ref``) is skipped, so an import can be re-run. Returns how many were added."""
    if queue not in QUEUES:
        raise UsageError(f"unknown queue {queue!r}; choose from {', '.join(QUEUES)}")
    added = 0
    now = _now()
    with session(url) as s:
        known = set(s.scalars(select(ReviewItem.source_ref).where(ReviewItem.queue == queue)))
        for it in items:
            ref = str(it["source_ref"])[:200]
            if ref in known:
                continue
            known.add(ref)
            s.add(
                ReviewItem(
                    queue=queue, source_ref=ref, title=str(it.get("title", ""))[:300], content=str(it.get("content", "")),
                    suggested_risk=str(it.get("suggested_risk", ""))[:40], status="pending", assigned_to=str(it.get("assigned_to", "")),
                    created_at=now,
                )
            )  # fmt: skip
            added += 1
    return added


def import_gateway(url: str | None = None, *, limit: int = 10000) -> int:
    """Refused and cut gateway decisions into the ``gateway`` queue, appeals into ``appeals``."""
    from hegui.gateway.audit import complaints, decisions

    rows = [
        {
            "source_ref": f"decision:{d['id']}",
            "title": f"{d['action']} · {d['user_key']} · {', '.join(d['risks'] or [])}",
            "content": d.get("output_text")
            or d.get("input_text")
            or f"(text not kept; input sha256 {d['input_sha256'][:16]}…)",
            "suggested_risk": (d["risks"] or [""])[0],
        }
        for d in decisions(url, limit=limit)
        if d["action"] in ("refused", "cut")
    ]
    n = add_items("gateway", rows, url)
    appeals = [
        {
            "source_ref": f"complaint:{c['id']}",
            "title": f"{c['kind']} · {c['user']} · due {c['due_at'][:10]}",
            "content": c["content"],
        }
        for c in complaints(url)
        if c["kind"] in ("appeal", "complaint")
    ]
    return n + add_items("appeals", appeals, url)


def import_jsonl(queue: str, lines: Iterable[str], url: str | None = None) -> int:
    """Items from JSONL (``id`` or ``source_ref``, ``title``, ``text`` or ``content``): corpus samples for
    annotators, assessment answers exported for human review."""
    rows = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise UsageError(f"line {n}: not JSON ({exc})") from None
        ref = obj.get("source_ref") or obj.get("id")
        if ref is None:
            raise UsageError(f"line {n}: needs an id or source_ref")
        rows.append({
            "source_ref": str(ref), "title": str(obj.get("title") or ref),
            "content": str(obj.get("content") or obj.get("text") or obj.get("文本") or ""),
            "suggested_risk": str(obj.get("risk") or obj.get("suggested_risk") or ""),
        })  # fmt: skip
    return add_items(queue, rows, url)


def page(
    queue: str, *, status: str = "pending", after: int = 0, limit: int = PAGE, url: str | None = None
) -> list[Item]:
    """Keyset pagination (``id > after``): as fast on page 2,000 as on page 1."""
    with session(url) as s:
        rows = s.scalars(
            select(ReviewItem)
            .where(ReviewItem.queue == queue, ReviewItem.status == status, ReviewItem.id > after)
            .order_by(ReviewItem.id)
            .limit(limit)
        ).all()
        return [_item(s, r) for r in rows]


def counts(url: str | None = None) -> dict[str, dict[str, int]]:
    with session(url) as s:
        out: dict[str, dict[str, int]] = {q: {} for q in QUEUES}
        for q, st, n in s.execute(
            select(ReviewItem.queue, ReviewItem.status, func.count()).group_by(
                ReviewItem.queue, ReviewItem.status
            )
        ):
            out.setdefault(q, {})[st] = int(n)
        return out


def next_item(queue: str, reviewer: str, url: str | None = None) -> Item | None:
    """The oldest pending item this reviewer has not judged yet (assigned to them or to nobody)."""
    with session(url) as s:
        judged = select(ReviewVerdict.item_id).where(ReviewVerdict.reviewer == reviewer)
        row = s.scalar(
            select(ReviewItem)
            .where(
                ReviewItem.queue == queue,
                ReviewItem.status == "pending",
                ReviewItem.id.not_in(judged),
                ReviewItem.assigned_to.in_(("", reviewer)),
            )
            .order_by(ReviewItem.id)
            .limit(1)
        )
        return _item(s, row) if row is not None else None


def assign(item_ids: Iterable[int], reviewer: str, url: str | None = None) -> int:
    with session(url) as s:
        n = 0
        for i in item_ids:
            row = s.get(ReviewItem, i)
            if row is not None and row.status == "pending":
                row.assigned_to = reviewer
                n += 1
        return n


def decide(
    item_id: int,
    reviewer: str,
    verdict: str,
    *,
    risk: str = "",
    note: str = "",
    reviewers: int = 1,
    url: str | None = None,
) -> Item:
    """Record one reviewer's verdict. With ``reviewers=2`` the item is decided when two verdicts agree, and
    ``disputed`` when they differ (an officer settles it)."""
    if verdict not in VERDICTS:
        raise UsageError(f"verdict must be pass or fail, not {verdict!r}")
    if risk:
        from hegui.screen.taxonomy import BY_ID

        if risk not in BY_ID:
            raise UsageError(f"unknown risk id {risk!r}")
    with session(url) as s:
        row = s.get(ReviewItem, item_id)
        if row is None:
            raise UsageError(f"no review item {item_id}")
        if row.status != "pending":
            raise UsageError(f"item {item_id} is {row.status} already")
        s.add(
            ReviewVerdict(
                item_id=item_id, reviewer=reviewer, verdict=verdict, risk_id=risk, note=note[:2000], at=_now()
            )
        )
        try:
            s.flush()
        except IntegrityError:
            raise UsageError(f"{reviewer} has judged item {item_id} already") from None
        vs = s.scalars(select(ReviewVerdict).where(ReviewVerdict.item_id == item_id)).all()
        if len(vs) >= reviewers:
            row.status = "decided" if len({v.verdict for v in vs}) == 1 else "disputed"
        item = _item(s, row)
    if item.queue == "assessment" and item.status == "decided" and ":" in item.source_ref:
        _assessment_verdict(item, url)
    return item


def agreement(queue: str, url: str | None = None) -> dict[str, Any]:
    """Between the first two reviewers of every doubly reviewed item: share agreeing, and Cohen's kappa."""
    with session(url) as s:
        pairs: dict[int, list[str]] = {}
        q = (
            select(ReviewVerdict.item_id, ReviewVerdict.verdict)
            .join(ReviewItem, ReviewItem.id == ReviewVerdict.item_id)
            .where(ReviewItem.queue == queue)
            .order_by(ReviewVerdict.id)
        )
        for item_id, verdict in s.execute(q):
            pairs.setdefault(item_id, []).append(verdict)
    both = [v[:2] for v in pairs.values() if len(v) >= 2]
    n = len(both)
    if n == 0:
        return {"items": 0, "agreement": None, "kappa": None}
    agree = sum(1 for a, b in both if a == b) / n
    pa = sum(1 for a, _ in both if a == "pass") / n
    pb = sum(1 for _, b in both if b == "pass") / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    kappa = (agree - expected) / (1 - expected) if expected < 1 else 1.0
    return {"items": n, "agreement": round(agree, 4), "kappa": round(kappa, 4)}


# ----------------------------------------------------------------------------------------------- the assessment

# A reviewer judges whether the model behaved as it should: "pass" is a compliant answer for a generated-content
# question, a refusal for a should-refuse question, and a real answer for a should-not-refuse question.
_ASSESS_VERDICT = {
    "generated": {"pass": "pass", "fail": "fail"},
    "should_refuse": {"pass": "refused", "fail": "answered"},
    "should_not_refuse": {"pass": "answered", "fail": "refused"},
}


def import_assessment(run_id: str, url: str | None = None, *, only_disputed: bool = False) -> int:
    """The answers of an assessment run into the ``assessment`` queue (``source_ref`` = ``run:item``); with
    ``only_disputed``, only those where the automatic judges disagree."""
    from hegui.assess.judge import verdict_table
    from hegui.assess.run import answers, load_run
    from hegui.store import engine_for

    engine = engine_for(url)
    load_run(engine, run_id)
    table = verdict_table(engine, run_id)
    rows = []
    for a in answers(engine, run_id):
        if a.error:
            continue
        votes = {j: v for j, v in table.get(a.item_id, {}).items() if j not in ("final", "human")}
        if only_disputed and len(set(votes.values())) <= 1:
            continue
        auto = ", ".join(f"{j}: {v}" for j, v in sorted(votes.items()))
        rows.append({
            "source_ref": f"{run_id}:{a.item_id}",
            "title": f"{a.kind} · {a.stratum} · {a.item_id}",
            "content": f"问：{a.question}\n答：{a.answer}\n\n自动研判：{auto}",
            "suggested_risk": a.stratum if a.stratum.startswith("A.") else "",
        })  # fmt: skip
    return add_items("assessment", rows, url)


def _assessment_verdict(item: Item, url: str | None) -> None:
    """A decided assessment item: its verdict goes back to the run as judge ``human``, and the final verdicts
    (and so the statistics and the report) are recomputed under the run's policy."""
    import json

    from hegui.assess.judge import Policy, Verdict, finalize, store_verdicts
    from hegui.assess.run import answers, load_run
    from hegui.store import engine_for

    run_id, _, item_id = item.source_ref.rpartition(":")
    engine = engine_for(url)
    run = load_run(engine, run_id)
    kind = next((a.kind for a in answers(engine, run_id) if a.item_id == item_id), None)
    if kind is None:
        raise UsageError(f"item {item_id} is not in assessment run {run_id}")
    agreed = item.verdicts[0]
    note = "; ".join(f"{v['reviewer']}: {v['note']}" for v in item.verdicts if v.get("note"))
    store_verdicts(
        engine, run_id, "human", {item_id: Verdict(_ASSESS_VERDICT[kind][agreed["verdict"]], None, note)}
    )
    finalize(engine, run_id, Policy.parse(json.loads(run.config).get("policy", "human-first")))
