"""The one function every runner calls: ``scan_batch(records, config)``, and its mergeable shard summary.

The local process pool and the Ray Data runner both call :func:`scan_shard` (which reads a shard and calls
:func:`scan_batch` on batches of its records), so the engines cannot disagree: a test holds their summaries equal.
"""

from __future__ import annotations

import bisect
import dataclasses
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.corpus.readers import ReadOptions, Shard, records
from hegui.corpus.sampling import selected

BATCH = 256
EXAMPLES = 5
"""Masked examples kept per risk and per personal-information kind."""
SNIPPET = 80


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """What to check and how much: JSON-serialisable so it travels to Ray workers and into the resume folder."""

    lexicon: str = "demo"  # a lexicon file path, or a bundled lexicon name
    pii: bool = True
    pii_names: bool = False  # person names and addresses need jieba: about 10x slower; off for corpus scale
    classify: bool = False
    sample: float = 1.0
    seed: str = ""
    text_field: str = "text"
    id_field: str | None = None
    text_unit: str = "line"
    redact_dir: str | None = None

    def read_options(self) -> ReadOptions:
        return ReadOptions(self.text_field, self.id_field, "file" if self.text_unit == "file" else "line")

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What the checks found in one record."""

    id: str
    flagged: bool
    risks: tuple[str, ...]
    keywords: tuple[str, ...]
    pii: tuple[tuple[str, str], ...]  # (kind, masked value)
    classifier: str | None = None
    masked_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "flagged": self.flagged,
            "risks": list(self.risks),
            "keywords": list(self.keywords),
            "pii": [{"kind": k, "masked": v} for k, v in self.pii],
            "classifier": self.classifier,
        }


class _Checks:
    """Compiled matcher, PII scanner and classifier, built once per process and config."""

    def __init__(self, config: ScanConfig) -> None:
        from hegui.screen.matcher import Matcher
        from hegui.screen.pii import PiiScanner
        from hegui.screen.service import resolve_lexicon

        self.lexicon = resolve_lexicon(config.lexicon)
        self.matcher = Matcher(self.lexicon)
        self.pii = PiiScanner(names=config.pii_names) if config.pii else None
        self.classifier: Any = None
        if config.classify:
            from hegui.screen.classify import default_classifier

            self.classifier = default_classifier()


_cache: dict[str, _Checks] = {}
_cache_lock = threading.Lock()


def _checks(config: ScanConfig) -> _Checks:
    key = repr(sorted(config.to_dict().items()))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _Checks(config)
        return _cache[key]


def lexicon_identity(config: ScanConfig) -> dict[str, Any]:
    """Name, entries and digest of the lexicon the scan uses, so every result says what it was checked against."""
    lex = _checks(config).lexicon
    return {
        "name": lex.name,
        "version": getattr(lex, "version", ""),
        "entries": len(lex),
        "digest": lex.digest,
    }


SEPARATOR = "\n\x1e\n"
"""Joins the records of a batch into one block: the matcher and the PII scanner run once per batch (about 13 times
faster than once per 300-character record, measured in benchmarks/corpus.py's set-up), and a hit is kept only when
it lies wholly inside one record."""


def _owner(starts: list[int], ends: list[int], start: int, end: int) -> int:
    """Index of the record holding ``[start, end)``, or -1 when the span crosses a record boundary."""
    i = bisect.bisect_right(starts, start) - 1
    return i if i >= 0 and end <= ends[i] else -1


def scan_batch(batch: Sequence[tuple[str, str]], config: ScanConfig) -> list[RecordResult]:
    """Check each ``(id, text)`` with the keyword matcher, the PII scanner and (optionally) the classifier."""
    from hegui.screen.pii import mask, mask_value

    checks = _checks(config)
    texts = [t for _, t in batch]
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for t in texts:
        starts.append(pos)
        ends.append(pos + len(t))
        pos += len(t) + len(SEPARATOR)
    block = SEPARATOR.join(texts)
    hits_of: list[list[Any]] = [[] for _ in texts]
    for h in checks.matcher.find(block, max_hits=1 << 30):
        i = _owner(starts, ends, h.start, h.end)
        if i >= 0:
            hits_of[i].append(h)
    pii_of: list[list[Any]] = [[] for _ in texts]
    if checks.pii is not None:
        for f in checks.pii.scan(block):
            i = _owner(starts, ends, f.start, f.end)
            if i >= 0:
                pii_of[i].append(dataclasses.replace(f, start=f.start - starts[i], end=f.end - starts[i]))
    scores = checks.classifier.classify(texts) if checks.classifier is not None and texts else None
    out: list[RecordResult] = []
    for i, (rid, text) in enumerate(batch):
        hits = hits_of[i]
        risks = sorted({r for h in hits for r in h.risks})
        keywords = tuple(dict.fromkeys(h.keyword for h in hits))
        label = None
        if scores is not None:
            s = scores[i]
            label = s.label
            if not s.safe:
                risks = sorted(set(risks) | set(s.flagged or (s.label,)))
        found = pii_of[i]
        pii = tuple((f.kind, mask_value(f)) for f in found)
        masked = None
        if config.redact_dir is not None:
            masked = mask(text, found) if found else text
        out.append(RecordResult(rid, bool(risks), tuple(risks), keywords, pii, label, masked))
    return out


@dataclass
class Summary:
    """Counts over many records; summaries of shards merge into the summary of the corpus."""

    records: int = 0
    scanned: int = 0
    flagged: int = 0
    with_pii: int = 0
    bytes_scanned: int = 0
    by_risk: Counter[str] = field(default_factory=Counter)
    by_pii: Counter[str] = field(default_factory=Counter)
    risk_examples: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    pii_examples: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def add(self, result: RecordResult, text: str) -> None:
        self.scanned += 1
        self.bytes_scanned += len(text.encode("utf-8", "surrogatepass"))
        if result.flagged:
            self.flagged += 1
            for r in result.risks:
                self.by_risk[r] += 1
                ex = self.risk_examples.setdefault(r, [])
                if len(ex) < EXAMPLES:
                    ex.append({"id": result.id, "keywords": "、".join(result.keywords)})
        if result.pii:
            self.with_pii += 1
            for kind, masked in result.pii:
                self.by_pii[kind] += 1
                ex = self.pii_examples.setdefault(kind, [])
                if len(ex) < EXAMPLES:
                    ex.append({"id": result.id, "masked": masked})

    def merge(self, other: Summary) -> None:
        self.records += other.records
        self.scanned += other.scanned
        self.flagged += other.flagged
        self.with_pii += other.with_pii
        self.bytes_scanned += other.bytes_scanned
        self.by_risk.update(other.by_risk)
        self.by_pii.update(other.by_pii)
        for mine, theirs in (
            (self.risk_examples, other.risk_examples),
            (self.pii_examples, other.pii_examples),
        ):
            for k, items in theirs.items():
                ex = mine.setdefault(k, [])
                ex.extend(items[: max(0, EXAMPLES - len(ex))])

    def sort_examples(self) -> None:
        """Examples in id order, so the merged summary does not depend on the order shards finished in."""
        for table in (self.risk_examples, self.pii_examples):
            for k in table:
                table[k].sort(key=lambda e: e["id"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "scanned": self.scanned,
            "flagged": self.flagged,
            "with_pii": self.with_pii,
            "bytes_scanned": self.bytes_scanned,
            "by_risk": dict(sorted(self.by_risk.items())),
            "by_pii": dict(sorted(self.by_pii.items())),
            "risk_examples": {k: v for k, v in sorted(self.risk_examples.items())},
            "pii_examples": {k: v for k, v in sorted(self.pii_examples.items())},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Summary:
        return cls(
            records=d["records"],
            scanned=d["scanned"],
            flagged=d["flagged"],
            with_pii=d["with_pii"],
            bytes_scanned=d["bytes_scanned"],
            by_risk=Counter(d["by_risk"]),
            by_pii=Counter(d["by_pii"]),
            risk_examples={k: list(v) for k, v in d["risk_examples"].items()},
            pii_examples={k: list(v) for k, v in d["pii_examples"].items()},
        )


def scan_shard(shard: Shard, config: ScanConfig) -> Summary:
    """Read one shard, scan the records the sample selects, and summarise. Examples are kept per shard in id
    order (the first ones met), so the merged summary is the same whichever worker scanned which shard."""
    summary = Summary()
    batch: list[tuple[str, str]] = []
    redacted: list[str] = []

    def flush() -> None:
        for res, (_, text) in zip(scan_batch(batch, config), batch, strict=True):
            summary.add(res, text)
            if config.redact_dir is not None:
                import json

                redacted.append(json.dumps({"id": res.id, "text": res.masked_text}, ensure_ascii=False))
        batch.clear()

    for rid, text in records(shard, config.read_options()):
        summary.records += 1
        if selected(rid, config.sample, config.seed):
            batch.append((rid, text))
            if len(batch) >= BATCH:
                flush()
    if batch:
        flush()
    if config.redact_dir is not None:
        _write_redacted(shard, config.redact_dir, redacted)
    summary.sort_examples()
    return summary


def _write_redacted(shard: Shard, folder: str, lines: Iterable[str]) -> None:
    import hashlib

    from hegui.atomic import atomic_output

    name = hashlib.sha256(shard.key.encode()).hexdigest()[:16]
    target = Path(folder) / f"{Path(shard.rel).name.split('.')[0]}-{name}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target) as out:
        for line in lines:
            out.write(line.encode("utf-8") + b"\n")
