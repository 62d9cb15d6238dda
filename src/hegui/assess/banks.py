"""Question banks: generated-content, should-refuse and should-not-refuse.

hegui's own form is JSONL (``.jsonl`` or ``.jsonl.gz``): a header line ``{"format": "hegui-bank/1", "name",
"kind", "version", "updated", ...}`` then one item per line. The filing form (附件5 评估测试题) is an Excel
workbook with one sheet per bank and the columns 序号 / 测试题 / 一级分类 / 二级分类, plus 模型回答 / 研判结果 when
answers are exported. Multi-turn items carry their earlier turns (``history``), kept in an optional 对话历史 column
as JSON. Every item says where it comes from (``source``) and whether it was ``derived`` from a public data set or
``authored`` by the project.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from hegui.assess import plan
from hegui.assess.plan import BANK_KINDS, KIND_ZH, BankKind
from hegui.atomic import atomic_output
from hegui.errors import InputError, UsageError
from hegui.screen import taxonomy

FORMAT = "hegui-bank/1"
Origin = Literal["derived", "authored"]
COLUMNS = ("序号", "测试题", "一级分类", "二级分类")
ANSWER_COLUMNS = ("模型回答", "研判结果")
EXTRA_COLUMNS = ("对话历史", "来源", "出处类型", "题目编号")
SHEET_KIND: dict[str, BankKind] = {
    "生成内容": "generated",
    "生成内容测试题": "generated",
    "generated": "generated",
    "应拒答": "should_refuse",
    "应拒答测试题": "should_refuse",
    "should_refuse": "should_refuse",
    "should-refuse": "should_refuse",
    "非拒答": "should_not_refuse",
    "非拒答测试题": "should_not_refuse",
    "不应拒答": "should_not_refuse",
    "should_not_refuse": "should_not_refuse",
    "should-not-refuse": "should_not_refuse",
}
ASPECTS = tuple(a for a, _ in taxonomy.SHOULD_NOT_REFUSE_ASPECTS)
NOT_REFUSE_LABEL = "非拒答"


def parse_kind(value: str) -> BankKind:
    key = value.strip().replace(" ", "")
    if key in SHEET_KIND:
        return SHEET_KIND[key]
    for name, kind in SHEET_KIND.items():
        if name in key:
            return kind
    raise UsageError(f"unknown bank kind {value!r}: use generated, should-refuse or should-not-refuse")


@dataclass(frozen=True, slots=True)
class Item:
    """One test question. ``stratum`` is the risk id (generated, should-refuse) or the aspect (should-not-refuse)."""

    id: str
    question: str
    stratum: str = ""
    history: tuple[tuple[str, str], ...] = ()
    origin: Origin = "authored"
    source: str = ""

    def messages(self) -> list[dict[str, str]]:
        """The chat messages to send: earlier turns, then the question."""
        return [{"role": r, "content": c} for r, c in self.history] + [
            {"role": "user", "content": self.question}
        ]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "question": self.question, "stratum": self.stratum}
        if self.history:
            out["history"] = [list(t) for t in self.history]
        out["origin"] = self.origin
        if self.source:
            out["source"] = self.source
        return out


def item_id(kind: BankKind, question: str, history: Sequence[tuple[str, str]] = ()) -> str:
    """A stable id from the content: the same question gets the same id in every copy of a bank."""
    h = hashlib.sha1(json.dumps([kind, list(history), question], ensure_ascii=False).encode("utf-8"))
    return f"{kind[:3]}-{h.hexdigest()[:12]}"


@dataclass(slots=True)
class Bank:
    name: str
    kind: BankKind
    items: list[Item] = field(default_factory=list)
    version: str = "1"
    updated: dt.date = field(default_factory=dt.date.today)
    description: str = ""
    attribution: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    def digest(self) -> str:
        h = hashlib.sha256()
        for it in self.items:
            h.update(json.dumps(it.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        return h.hexdigest()[:16]

    def header(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "updated": self.updated.isoformat(),
            "description": self.description,
            "attribution": self.attribution,
            "count": len(self.items),
        }

    def coverage(self) -> plan.Coverage:
        return plan.coverage(self.kind, [i.stratum for i in self.items])

    def stale(
        self, interval_days: int = plan.UPDATE_INTERVAL_DAYS, today: dt.date | None = None
    ) -> int | None:
        """Days past the update interval, or ``None`` when the bank is fresh enough."""
        age = ((today or dt.date.today()) - self.updated).days
        return age - interval_days if age > interval_days else None

    def stats(self) -> dict[str, Any]:
        origins = Counter(i.origin for i in self.items)
        return {
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "updated": self.updated.isoformat(),
            "items": len(self.items),
            "multi_turn": sum(1 for i in self.items if i.history),
            "derived": origins.get("derived", 0),
            "authored": origins.get("authored", 0),
            "sources": dict(Counter(i.source.split(" ", 1)[0] or "(none)" for i in self.items).most_common()),
            "per_stratum": dict(sorted(Counter(i.stratum for i in self.items).items())),
            "digest": self.digest(),
        }


def make_item(
    kind: BankKind,
    question: str,
    stratum: str = "",
    *,
    history: Sequence[Sequence[str]] = (),
    origin: str = "authored",
    source: str = "",
    id: str = "",
    where: str = "",
) -> Item:
    """Validate and build an item: the risk id is resolved from id, Chinese text or alias."""
    q = str(question).strip()
    if not q:
        raise InputError(f"{where}: empty question")
    turns: list[tuple[str, str]] = []
    for t in history:
        if len(t) != 2 or t[0] not in ("user", "assistant", "system"):
            raise InputError(f"{where}: history turns are [role, text] with role user, assistant or system")
        turns.append((str(t[0]), str(t[1])))
    s = str(stratum or "").strip()
    if kind == "should_not_refuse":
        if s in (NOT_REFUSE_LABEL, "无"):
            s = ""
    elif s:
        rid = taxonomy.resolve(s)
        if rid is None:
            raise InputError(f"{where}: unknown risk {s!r}: use an Appendix A id (A.1.a) or its Chinese text")
        if kind == "should_refuse" and rid not in taxonomy.KEYWORD_RISKS:
            raise InputError(f"{where}: should-refuse items cover the 17 risks of A.1 and A.2, not {rid}")
        s = rid
    if origin not in ("derived", "authored"):
        raise InputError(f"{where}: origin must be 'derived' or 'authored', not {origin!r}")
    return Item(id or item_id(kind, q, turns), q, s, tuple(turns), origin, source)  # type: ignore[arg-type]


# ---------------------------------------------------------------- JSONL


def read_jsonl(path: str | Path) -> Bank:
    p = Path(path)
    if not p.exists():
        raise InputError("file not found; check the path", path=p)
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"corrupt gzip data ({exc})", path=p) from None
    return parse_jsonl(raw.decode("utf-8", "strict"), where=str(p))


def parse_jsonl(text: str, *, where: str = "bank") -> Bank:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise InputError(f"{where}: empty bank file")
    try:
        head = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: line 1 is not JSON ({exc})") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise InputError(f"{where}: line 1 must be the header {{'format': '{FORMAT}', ...}}")
    kind = parse_kind(str(head.get("kind", "")))
    try:
        updated = dt.date.fromisoformat(str(head.get("updated") or dt.date.today().isoformat()))
    except ValueError:
        raise InputError(f"{where}: header 'updated' must be a date YYYY-MM-DD") from None
    bank = Bank(
        str(head.get("name") or kind),
        kind,
        version=str(head.get("version", "1")),
        updated=updated,
        description=str(head.get("description", "")),
        attribution=[str(a) for a in head.get("attribution", [])],
    )
    seen: set[str] = set()
    for n, line in enumerate(lines[1:], start=2):
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: line {n} is not JSON ({exc})") from None
        if not isinstance(d, dict) or "question" not in d:
            raise InputError(f"{where}: line {n} needs a 'question'")
        it = make_item(
            kind,
            d["question"],
            str(d.get("stratum", d.get("risk", d.get("aspect", ""))) or ""),
            history=d.get("history", ()),
            origin=d.get("origin", "authored"),
            source=d.get("source", ""),
            id=str(d.get("id", "")),
            where=f"{where}: line {n}",
        )
        if it.id in seen:
            raise InputError(f"{where}: line {n}: duplicate id {it.id!r}")
        seen.add(it.id)
        bank.items.append(it)
    return bank


def jsonl_bytes(bank: Bank) -> bytes:
    out = io.StringIO()
    out.write(json.dumps(bank.header(), ensure_ascii=False) + "\n")
    for it in bank.items:
        out.write(json.dumps(it.to_json(), ensure_ascii=False) + "\n")
    return out.getvalue().encode("utf-8")


def write_jsonl(bank: Bank, path: str | Path) -> Path:
    p = Path(path)
    data = jsonl_bytes(bank)
    if p.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    with atomic_output(p) as f:
        f.write(data)
    return p


# ---------------------------------------------------------------- Excel (附件5 layout)


def _text_cell(ws: Any, value: str) -> Any:
    """A cell that Excel shows as text whatever it starts with: never a formula (``=cmd|...`` stays inert)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
    cell.number_format = "@"
    return cell


def _category_labels(kind: BankKind, stratum: str) -> tuple[str, str]:
    if kind == "should_not_refuse":
        return NOT_REFUSE_LABEL, stratum
    if stratum in taxonomy.BY_ID:
        return taxonomy.category_of(stratum).zh, taxonomy.BY_ID[stratum].zh
    return "", stratum


@dataclass(frozen=True, slots=True)
class AnswerCell:
    answer: str
    verdict: str


def xlsx_bytes(
    banks: Sequence[Bank],
    *,
    answers: dict[str, AnswerCell] | None = None,
    extra: bool = True,
) -> bytes:
    """One sheet per bank in the filing layout; with ``answers`` (item id → answer, verdict) the answer columns."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for bank in banks:
        ws = wb.create_sheet(KIND_ZH[bank.kind] if len(banks) <= 3 else bank.name[:31])
        cols = (
            list(COLUMNS)
            + (list(ANSWER_COLUMNS) if answers is not None else [])
            + (list(EXTRA_COLUMNS) if extra else [])
        )
        ws.append([_text_cell(ws, c) for c in cols])
        for n, it in enumerate(bank.items, start=1):
            cat, sub = _category_labels(bank.kind, it.stratum)
            row: list[Any] = [n, _text_cell(ws, it.question), _text_cell(ws, cat), _text_cell(ws, sub)]
            if answers is not None:
                a = answers.get(it.id)
                row += [_text_cell(ws, a.answer if a else ""), _text_cell(ws, a.verdict if a else "")]
            if extra:
                hist = json.dumps([list(t) for t in it.history], ensure_ascii=False) if it.history else ""
                row += [_text_cell(ws, x) for x in (hist, it.source, it.origin, it.id)]
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_xlsx(
    banks: Sequence[Bank], path: str | Path, *, answers: dict[str, AnswerCell] | None = None
) -> Path:
    p = Path(path)
    data = xlsx_bytes(banks, answers=answers)
    with atomic_output(p) as f:
        f.write(data)
    return p


def read_sheets(path: str | Path) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as rows of strings (formulas are read as their text, never evaluated)."""
    from openpyxl import load_workbook

    p = Path(path)
    if not p.exists():
        raise InputError("file not found; check the path", path=p)
    try:
        wb = load_workbook(p, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError(f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})", path=p) from None
    out: dict[str, list[list[str]]] = {}
    for ws in wb.worksheets:
        rows = []
        for r in ws.iter_rows(values_only=True):
            rows.append(["" if v is None else str(v) for v in r])
        out[ws.title] = rows
    wb.close()
    return out


def _header_index(header: list[str]) -> dict[str, int]:
    idx: dict[str, int] = {}
    for i, h in enumerate(header):
        key = h.strip()
        if key in ("题目", "问题", "question", "测试问题"):
            key = "测试题"
        if key in ("是否合格", "研判结论", "verdict"):
            key = "研判结果"
        idx.setdefault(key, i)
    return idx


def read_xlsx(
    path: str | Path, *, kind: BankKind | None = None, name: str | None = None, updated: dt.date | None = None
) -> list[Bank]:
    """Banks from a filing workbook; the kind of each sheet comes from ``kind`` or its sheet name."""
    p = Path(path)
    banks = []
    for title, rows in read_sheets(p).items():
        rows = [r for r in rows if any(c.strip() for c in r)]
        if not rows:
            continue
        idx = _header_index(rows[0])
        if "测试题" not in idx:
            raise InputError(f"sheet {title!r}: no 测试题 column (header row: {rows[0]})", path=p)
        try:
            k = kind or parse_kind(title)
        except UsageError:
            raise InputError(
                f"sheet {title!r}: cannot tell the bank kind from the sheet name; pass --kind", path=p
            ) from None
        bank = Bank(name or f"{p.stem}-{k}", k, updated=updated or dt.date.today())
        seen: set[str] = set()
        for n, r in enumerate(rows[1:], start=2):

            def cell(col: str, r: list[str] = r, idx: dict[str, int] = idx) -> str:
                i = idx.get(col)
                return r[i].strip() if i is not None and i < len(r) else ""

            q = cell("测试题")
            if not q:
                continue
            stratum = cell("二级分类") or cell("一级分类")
            hist_text = cell("对话历史")
            try:
                hist = json.loads(hist_text) if hist_text else []
            except json.JSONDecodeError:
                raise InputError(f"sheet {title!r} row {n}: 对话历史 is not JSON", path=p) from None
            origin = cell("出处类型") or "authored"
            it = make_item(
                k,
                q,
                stratum,
                history=hist,
                origin=origin,
                source=cell("来源"),
                id=cell("题目编号"),
                where=f"{p} sheet {title!r} row {n}",
            )
            if it.id in seen:
                continue  # a literal repeat inside a sheet: keep the first
            seen.add(it.id)
            bank.items.append(it)
        banks.append(bank)
    if not banks:
        raise InputError("no sheet with questions found", path=p)
    return banks


def load(path: str | Path, *, kind: BankKind | None = None) -> list[Bank]:
    """Read banks from ``.jsonl`` / ``.jsonl.gz`` (one bank) or ``.xlsx`` (one bank per sheet)."""
    p = Path(path)
    low = p.name.lower()
    if low.endswith((".xlsx", ".xlsm")):
        return read_xlsx(p, kind=kind)
    if low.endswith((".jsonl", ".jsonl.gz", ".json")):
        bank = read_jsonl(p)
        if kind is not None and bank.kind != kind:
            raise InputError(f"bank kind is {bank.kind}, not {kind}", path=p)
        return [bank]
    raise InputError(f"unsupported bank format {p.suffix!r}: use .jsonl, .jsonl.gz or .xlsx", path=p)


# ---------------------------------------------------------------- near duplicates

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def _norm(text: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def _shingles(text: str, k: int = 3) -> set[str]:
    t = _norm(text)
    if len(t) <= k:
        return {t}
    return {t[i : i + k] for i in range(len(t) - k + 1)}


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    a: str
    b: str
    similarity: float

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "similarity": round(self.similarity, 3)}


def near_duplicates(
    items: Iterable[Item], *, threshold: float = 0.8, max_posting: int = 400
) -> list[NearDuplicate]:
    """Pairs of items whose character-trigram Jaccard similarity reaches ``threshold`` (after NFKC, case and
    punctuation folding). Exact repeats score 1.0. An inverted index over trigrams limits the comparisons;
    trigrams shared by more than ``max_posting`` items are too common to point at duplicates and are skipped."""
    its = list(items)
    sh = [_shingles(i.question + "".join(c for _, c in i.history)) for i in its]
    index: dict[str, list[int]] = {}
    for n, s in enumerate(sh):
        for g in s:
            index.setdefault(g, []).append(n)
    out: list[NearDuplicate] = []
    for n, s in enumerate(sh):
        shared: Counter[int] = Counter()
        for g in s:
            post = index[g]
            if len(post) > max_posting:
                continue
            for m in post:
                if m > n:
                    shared[m] += 1
        for m, c in shared.items():
            union = len(s) + len(sh[m]) - c
            sim = c / union if union else 1.0
            if sim >= threshold:
                out.append(NearDuplicate(its[n].id, its[m].id, sim))
    out.sort(key=lambda d: (-d.similarity, d.a, d.b))
    return out


# ---------------------------------------------------------------- starter banks

STARTER = {k: f"data/starter_{k}.jsonl.gz" for k in BANK_KINDS}


def starter(kind: BankKind) -> Bank:
    """The starter bank shipped with hegui (derived from public data sets plus authored items; see docs/assess.md)."""
    ref = resources.files("hegui.assess").joinpath(STARTER[kind])
    raw = gzip.decompress(ref.read_bytes())
    return parse_jsonl(raw.decode("utf-8"), where=f"starter bank {kind}")


def starters() -> list[Bank]:
    return [starter(k) for k in BANK_KINDS]


def merge(banks: Sequence[Bank], *, name: str | None = None) -> Bank:
    """One bank of one kind from several (items deduplicated by id, first wins)."""
    kinds = {b.kind for b in banks}
    if len(kinds) != 1:
        raise UsageError(f"cannot merge banks of different kinds: {sorted(kinds)}")
    first = banks[0]
    seen: set[str] = set()
    items = []
    for b in banks:
        for it in b.items:
            if it.id not in seen:
                seen.add(it.id)
                items.append(it)
    return replace(first, name=name or first.name, items=items, updated=max(b.updated for b in banks))
