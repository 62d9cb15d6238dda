"""Keyword library: entries tagged with Appendix A risk ids, import / export in the filing layout, coverage, diff.

The filing attachment is an Excel sheet with the columns 关键词 / 一级分类 / 二级分类 (keyword, category, risk),
so that is the layout :func:`read_table` and :func:`write_xlsx` speak; CSV uses the same columns. hegui's own
JSON form keeps the per-entry options as well (match mode, allow-list contexts, notes) plus the library's name,
version and a ``demo`` flag. Entries are deduplicated after normalisation: ``法轮功`` and ``法 輪 功`` are one
entry whose risk ids are the union of both.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from hegui.errors import InputError, UsageError
from hegui.screen import taxonomy
from hegui.screen.normalize import normalize_keyword

MatchMode = Literal["normalized", "exact", "word"]
MATCH_MODES: tuple[str, ...] = ("normalized", "exact", "word")
"""``normalized``: match after normalisation (default). ``exact``: match the original text as written.
``word``: like ``normalized`` but a Latin keyword must not touch letters on either side (``ass`` not in ``class``)."""

COLUMNS = ("关键词", "一级分类", "二级分类")
OPTION_COLUMNS = ("匹配方式", "例外语境", "备注")
_ALT_HEADERS = {
    "keyword": "关键词",
    "关键字": "关键词",
    "category": "一级分类",
    "一级类别": "一级分类",
    "risk": "二级分类",
    "二级类别": "二级分类",
    "风险类别": "二级分类",
    "match": "匹配方式",
    "allow": "例外语境",
    "notes": "备注",
}
MAX_KEYWORD_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Entry:
    """One keyword with the risks it signals and how to match it."""

    keyword: str
    risks: tuple[str, ...] = ()
    mode: MatchMode = "normalized"
    allow: tuple[str, ...] = ()
    """Contexts in which a hit is not a finding: if one of these strings covers the hit, it is dropped."""
    notes: str = ""

    @property
    def key(self) -> str:
        """The deduplication key: the normalised keyword (``exact`` entries keep their own spelling)."""
        return self.keyword if self.mode == "exact" else normalize_keyword(self.keyword)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"keyword": self.keyword, "risks": list(self.risks)}
        if self.mode != "normalized":
            out["mode"] = self.mode
        if self.allow:
            out["allow"] = list(self.allow)
        if self.notes:
            out["notes"] = self.notes
        return out


def make_entry(
    keyword: str,
    risks: Iterable[str] = (),
    *,
    mode: str = "normalized",
    allow: Iterable[str] = (),
    notes: str = "",
    where: str = "",
) -> Entry:
    """Validate and build an :class:`Entry`; ``where`` names the source row in error messages."""
    kw = keyword.strip()
    prefix = f"{where}: " if where else ""
    if not kw:
        raise InputError(f"{prefix}empty keyword; remove the row or fill in 关键词")
    if len(kw) > MAX_KEYWORD_LENGTH:
        raise InputError(f"{prefix}keyword {kw[:20]!r}... is longer than {MAX_KEYWORD_LENGTH} characters")
    if mode not in MATCH_MODES:
        raise InputError(f"{prefix}match mode {mode!r} is not one of {', '.join(MATCH_MODES)}")
    ids: list[str] = []
    for r in risks:
        if not r.strip():
            continue
        rid = taxonomy.resolve(r)
        if rid is None:
            raise InputError(
                f"{prefix}unknown risk {r!r} for keyword {kw!r}: use A.1.a ... A.5.b or the item text"
            )
        if rid not in ids:
            ids.append(rid)
    if mode != "exact" and not normalize_keyword(kw):
        raise InputError(
            f"{prefix}keyword {kw!r} is empty after normalisation (only separators or invisibles)"
        )
    allowed = tuple(a for a in (x.strip() for x in allow) if a)
    return Entry(kw, tuple(sorted(ids)), cast(MatchMode, mode), allowed, notes.strip())


@dataclass(slots=True)
class Lexicon:
    """A keyword library. Build one with :func:`load`, :func:`read_table` or by adding entries."""

    entries: list[Entry] = field(default_factory=list)
    name: str = "unnamed"
    version: str = "0"
    demo: bool = False
    description: str = ""
    merged: int = 0
    """How many entries were folded into others by deduplication."""

    def __post_init__(self) -> None:
        self.entries, merged = dedupe(self.entries)
        self.merged += merged

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def is_demo(self) -> bool:
        """True for the demo lexicon (or any marked ``demo``): callers warn on stderr (:data:`DEMO_WARNING`)."""
        return self.demo

    @property
    def identity(self) -> dict[str, Any]:
        """What every screening result names: which lexicon, which version, how many entries, which digest."""
        return {
            "name": self.name,
            "version": self.version,
            "entries": len(self.entries),
            "digest": self.digest,
            "demo": self.demo,
        }

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def add(self, entry: Entry) -> None:
        self.entries, merged = dedupe([*self.entries, entry])
        self.merged += merged

    @property
    def digest(self) -> str:
        """SHA-256 over the canonical entries: two libraries with the same digest screen identically."""
        canon = json.dumps(
            [e.to_json() for e in sorted(self.entries, key=lambda e: e.key)], ensure_ascii=False
        )
        return hashlib.sha256(canon.encode("utf-8")).hexdigest()

    def by_risk(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for e in self.entries:
            counts.update(e.risks)
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "hegui-lexicon/1",
            "name": self.name,
            "version": self.version,
            "demo": self.demo,
            "description": self.description,
            "entries": [e.to_json() for e in self.entries],
        }


def dedupe(entries: Iterable[Entry]) -> tuple[list[Entry], int]:
    """Merge entries with the same normalised key; union of risks and allow contexts, first notes win."""
    out: dict[tuple[str, str], Entry] = {}
    merged = 0
    for e in entries:
        k = (e.key, "exact" if e.mode == "exact" else "n")
        prev = out.get(k)
        if prev is None:
            out[k] = e
            continue
        merged += 1
        mode = prev.mode if prev.mode == e.mode else "normalized"
        out[k] = replace(
            prev,
            risks=tuple(sorted(set(prev.risks) | set(e.risks))),
            allow=tuple(dict.fromkeys((*prev.allow, *e.allow))),
            notes=prev.notes or e.notes,
            mode=mode,
        )
    return list(out.values()), merged


# --------------------------------------------------------------------------------------------------- reading


BUILTIN: dict[str, str] = {"demo": "demo_lexicon.json", "starter": "starter_lexicon.json"}
"""Lexicons shipped in the package, by the name :func:`load` accepts: ``demo`` (82 illustrative entries) and
``starter`` (openly licensed public lists, far below the standard's minimums; sources in data/DATA_SOURCES.md)."""


def load(path: str | Path) -> Lexicon:
    """Read a lexicon: a shipped one by name (``"demo"``, ``"starter"``: :data:`BUILTIN`), or a file in
    ``.json`` (hegui form), ``.xlsx`` or ``.csv`` (filing layout)."""
    if str(path) in BUILTIN and not Path(path).exists():
        return load_builtin(str(path))
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.exists():
        raise InputError("file not found; check the path", path=p)
    if suffix == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"not a hegui lexicon JSON file ({exc})", path=p) from exc
        return from_json(data, where=str(p))
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(p)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(p)
    else:
        raise InputError(f"unsupported lexicon format {suffix!r}: use .xlsx, .csv or .json", path=p)
    return read_table(rows, name=p.stem, where=str(p))


def load_demo() -> Lexicon:
    """The small demo lexicon shipped with hegui. It is a demo: far below the standard's minimums."""
    return load_builtin("demo")


def load_builtin(name: str) -> Lexicon:
    """A lexicon shipped in the package (:data:`BUILTIN`)."""
    if name not in BUILTIN:
        raise UsageError(f"no built-in lexicon {name!r}: use one of {', '.join(BUILTIN)} or a file path")
    text = resources.files("hegui.screen").joinpath(f"data/{BUILTIN[name]}").read_text(encoding="utf-8")
    return from_json(json.loads(text), where=f"hegui {name} lexicon")


DEMO_WARNING = (
    "warning: screening with the demo lexicon (82 illustrative keywords, far below the standard's 10,000): "
    "pass --lexicon with your own library, or 'starter' for the openly licensed starter list"
)
"""What a caller prints on stderr when ``lexicon.is_demo`` (the CLI and the service layer do)."""


def from_json(data: Any, *, where: str = "") -> Lexicon:
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise InputError(f"{where}: expected an object with an 'entries' list (format hegui-lexicon/1)")
    entries = []
    for i, raw in enumerate(data["entries"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("keyword"), str):
            raise InputError(f"{where}: entries[{i}] needs a 'keyword' string")
        entries.append(
            make_entry(
                raw["keyword"],
                [str(r) for r in raw.get("risks", [])],
                mode=str(raw.get("mode", "normalized")),
                allow=[str(a) for a in raw.get("allow", [])],
                notes=str(raw.get("notes", "")),
                where=f"{where}: entries[{i}]",
            )
        )
    return Lexicon(
        entries,
        name=str(data.get("name", "unnamed")),
        version=str(data.get("version", "0")),
        demo=bool(data.get("demo", False)),
        description=str(data.get("description", "")),
    )


# Bounds on an imported table (a lexicon is a few thousand rows; these stop hostile or runaway files).
MAX_TABLE_BYTES = 64 * 1024 * 1024  # the CSV file, or the uncompressed sheet data of an XLSX
MAX_TABLE_ROWS = 1_000_000
MAX_CELL = (
    4096  # characters in one cell (keywords are at most MAX_KEYWORD_LENGTH; notes and allow lists short)
)
MAX_REPORTED_ROWS = 50  # bad rows listed in one error message; the rest are counted


def _one_line(text: object) -> str:
    """A library's message on one line (lxml and YAML messages span several)."""
    return " ".join(str(text).split())


def _require_regular_file(p: Path) -> None:
    """A FIFO or device would block the read forever (or never end): only regular files are read."""
    try:
        if not p.is_file():
            raise InputError("not a regular file (a FIFO, device or folder); give a spreadsheet file", path=p)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=p) from exc


def _csv_rows(p: Path) -> list[list[str]]:
    _require_regular_file(p)
    try:
        size = p.stat().st_size
        if size > MAX_TABLE_BYTES:
            raise InputError(f"CSV of {size} bytes is larger than the {MAX_TABLE_BYTES}-byte limit", path=p)
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=p) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise InputError("CSV is neither UTF-8 nor GB18030; re-save it as UTF-8", path=p) from exc
    reader = csv.reader(io.StringIO(text))
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append([_unquote(c) for c in row])
            if len(rows) > MAX_TABLE_ROWS:
                raise InputError(f"more than {MAX_TABLE_ROWS} rows; refused", path=p)
    except csv.Error as exc:  # a field over csv.field_size_limit(), a NUL byte, an open quote at the end
        raise InputError(f"line {reader.line_num}: not valid CSV ({_one_line(exc)})", path=p) from exc
    return rows


def _xlsx_rows(p: Path) -> list[list[str]]:
    """Rows of the first sheet. openpyxl raises many kinds of exceptions on a damaged or hostile workbook (zlib,
    XML, zip, NotImplementedError), while loading and while iterating: every one becomes an InputError."""
    import openpyxl

    _check_xlsx_package(p)
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"not a readable Excel workbook ({_describe(exc)})", path=p) from exc
    try:
        ws = wb.worksheets[0]
        rows: list[list[str]] = []
        for row in ws.iter_rows(values_only=True):
            rows.append(["" if c is None else str(c) for c in row])
            if len(rows) > MAX_TABLE_ROWS:
                raise InputError(f"more than {MAX_TABLE_ROWS} rows; refused", path=p)
        return rows
    except InputError:
        raise
    except Exception as exc:
        row_no = len(rows) + 1 if "rows" in locals() else 0
        where = f" at row {row_no}" if row_no else ""
        raise InputError(f"damaged Excel workbook{where} ({_describe(exc)})", path=p) from exc
    finally:
        wb.close()


def _describe(exc: BaseException) -> str:
    detail = _one_line(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _check_xlsx_package(p: Path) -> None:
    """Refuse before parsing: a package whose parts inflate past the limit, or an XML part with a DTD.

    A workbook never needs a document type declaration; one is how entity-expansion and external-entity
    attacks start, so it is refused outright rather than left to the XML parser's own defences.
    """
    import zipfile

    _require_regular_file(p)
    try:
        with zipfile.ZipFile(p) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_TABLE_BYTES * 4:
                raise InputError(
                    f"the workbook inflates to {total} bytes, over the {MAX_TABLE_BYTES * 4}-byte limit",
                    path=p,
                )
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")) and _has_dtd(z, info):
                    raise InputError(
                        f"{info.filename} declares a DTD (<!DOCTYPE>); workbooks do not need one, refused",
                        path=p,
                    )
    except InputError:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, NotImplementedError (compression method), OSError
        raise InputError(f"not a readable Excel workbook ({_describe(exc)})", path=p) from exc


def _has_dtd(z: Any, info: Any) -> bool:
    tail = b""
    read = 0
    with z.open(info) as member:
        while chunk := member.read(1 << 16):
            read += len(chunk)
            if read > MAX_TABLE_BYTES:
                raise InputError(f"{info.filename} inflates past {MAX_TABLE_BYTES} bytes; refused")
            window = tail + chunk
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                return True
            tail = window[-16:]
    return False


def read_table(rows: list[list[str]], *, name: str = "imported", where: str = "") -> Lexicon:
    """Build a lexicon from rows in the filing layout; the first row is the header.

    ``二级分类`` may hold several risks separated by ``|`` or ``；``; ``一级分类`` is checked against it. Every bad
    row is reported (the first :data:`MAX_REPORTED_ROWS` listed, the rest counted) in one InputError.
    """
    if not rows:
        raise InputError(f"{where}: the sheet is empty; expected a header row 关键词 / 一级分类 / 二级分类")
    header = [_ALT_HEADERS.get(h.strip().lower(), h.strip()) for h in rows[0]]
    if "关键词" not in header:
        raise InputError(f"{where}: no 关键词 column in the header row {[h[:40] for h in rows[0][:20]]!r}")
    col = {h: i for i, h in enumerate(header) if h}

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) and row[i] is not None else ""

    entries = []
    problems: list[str] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            long = next((c for c in row if len(c) > MAX_CELL), None)
            if long is not None:
                raise InputError(f"{where}: row {n}: a cell of {len(long)} characters (at most {MAX_CELL})")
            entries.append(_table_entry(row, cell, n, where))
        except InputError as exc:
            problems.append(_one_line(exc.detail))
    if problems:
        shown = problems[:MAX_REPORTED_ROWS]
        more = len(problems) - len(shown)
        raise InputError(
            f"{len(problems)} bad row{'s' if len(problems) > 1 else ''}, fix them and import again: "
            + " | ".join(shown)
            + (f" | ... and {more} more" if more > 0 else "")
        )
    return Lexicon(entries, name=name)


def _table_entry(row: list[str], cell: Any, n: int, where: str) -> Entry:
    risks = [r for r in _split(cell(row, "二级分类"))]
    category = cell(row, "一级分类")
    if category and not risks:
        cat = next((c for c in taxonomy.CATEGORIES if category in (c.zh, c.id)), None)
        if cat is None:
            raise InputError(f"{where}: row {n}: unknown 一级分类 {category[:60]!r}")
    entry = make_entry(
        cell(row, "关键词"),
        risks,
        mode=cell(row, "匹配方式") or "normalized",
        allow=_split(cell(row, "例外语境")),
        notes=cell(row, "备注"),
        where=f"{where}: row {n}",
    )
    if category:
        cats = {taxonomy.BY_ID[r].category for r in entry.risks}
        cat = next((c for c in taxonomy.CATEGORIES if category in (c.zh, c.id)), None)
        if cat is None or (cats and cat.id not in cats):
            raise InputError(
                f"{where}: row {n}: 一级分类 {category[:60]!r} does not match 二级分类 {cell(row, '二级分类')[:60]!r}"
            )
    return entry


# --------------------------------------------------------------------------------------------------- formula guard
# A spreadsheet cell that starts with one of these is run as a formula by Excel, LibreOffice and Sheets (CSV
# injection, OWASP). Exported CSV cells get a leading apostrophe, as OWASP advises; import takes exactly one off
# again (CSV only: XLSX cells are written as typed text and need no quoting), so a round trip is exact. A cell that already starts with apostrophes before such a character gets one
# more, so the mapping stays one to one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _quote(value: str) -> str:
    if value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_safe(value: str) -> str:
    """A text for a CSV cell that no spreadsheet runs as a formula (what every hegui CSV export uses)."""
    return _quote(value)


def _unquote(value: str) -> str:
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _split(value: str) -> list[str]:
    if taxonomy.resolve(value) is not None:  # item texts contain 、 and ，
        return [value.strip()]
    for sep in ("；", ";"):
        value = value.replace(sep, "|")
    return [v.strip() for v in value.split("|") if v.strip()]


# --------------------------------------------------------------------------------------------------- writing


def table_rows(lex: Lexicon, *, options: bool = True) -> list[list[str]]:
    """Rows in the filing layout (one row per keyword and risk), with hegui's option columns if asked."""
    head = list(COLUMNS) + (list(OPTION_COLUMNS) if options else [])
    rows = [head]
    for e in lex.entries:
        for rid in e.risks or ("",):
            cat = taxonomy.category_of(rid).zh if rid else ""
            risk = taxonomy.BY_ID[rid].zh if rid else ""
            row = [e.keyword, cat, risk]
            if options:
                row += [e.mode if e.mode != "normalized" else "", "|".join(e.allow), e.notes]
            rows.append(row)
    return rows


def write(lex: Lexicon, path: str | Path, *, options: bool = True) -> Path:
    """Write ``lex`` as ``.json``, ``.xlsx`` or ``.csv`` (chosen by the suffix), atomically."""
    from hegui.atomic import atomic_output

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        data = json.dumps(lex.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
    elif suffix == ".csv":
        buf = io.StringIO()
        rows = [[_quote(c) for c in row] for row in table_rows(lex, options=options)]
        csv.writer(buf, lineterminator="\n").writerows(rows)
        data = buf.getvalue().encode("utf-8-sig")
    elif suffix == ".xlsx":
        data = _xlsx_bytes(lex, options=options)
    else:
        raise UsageError(f"cannot write {suffix!r}: use .xlsx, .csv or .json", path=p)
    with atomic_output(p) as out:
        out.write(data)
    return p


def _append_text(ws: Any, row: list[Any]) -> None:
    """Append a row whose strings stay text: openpyxl would store a string starting with "=" as a live formula."""
    ws.append(row)
    for c in ws[ws.max_row]:
        if c.data_type == "f":
            c.data_type = "s"


def _xlsx_bytes(lex: Lexicon, *, options: bool) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "关键词库"
    for row in table_rows(lex, options=options):
        _append_text(ws, row)
    for c in ws[1]:
        c.font = Font(bold=True)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 40
    info = wb.create_sheet("说明")
    _append_text(info, ["名称", lex.name])
    _append_text(info, ["版本", lex.version])
    info.append(["摘要 (SHA-256)", lex.digest])
    info.append(["条目数", len(lex)])
    if lex.demo:
        info.append(["注意", "演示词库 (demo only): not a filing-grade keyword library"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------------- coverage


@dataclass(frozen=True, slots=True)
class RiskCoverage:
    risk: str
    name: str
    have: int
    need: int

    @property
    def gap(self) -> int:
        return max(0, self.need - self.have)


@dataclass(frozen=True, slots=True)
class Coverage:
    """How a lexicon stands against the standard's minimums (TC260-003 8.1)."""

    total: int
    need_total: int
    risks: tuple[RiskCoverage, ...]
    untagged: int
    short: tuple[str, ...]
    """Keywords of one character after normalisation: they hit almost everything."""
    demo: bool

    @property
    def ok(self) -> bool:
        return self.total >= self.need_total and all(r.gap == 0 for r in self.risks)

    @property
    def percent(self) -> float:
        """Share of the per-risk floors met, counting each risk up to its floor (0-100)."""
        need = sum(r.need for r in self.risks)
        have = sum(min(r.have, r.need) for r in self.risks)
        return 100.0 * have / need if need else 100.0

    def lines(self) -> list[str]:
        """A plain-language gap report."""
        out = []
        if self.demo:
            out.append("This is hegui's DEMO lexicon: it illustrates the format and is not fit for filing.")
        verdict = "meets" if self.ok else "does NOT meet"
        out.append(f"The library {verdict} the keyword-library minimums of TC260-003 8.1 / GB/T 45654.")
        out.append(
            f"Total keywords: {self.total} of at least {self.need_total} (gap {max(0, self.need_total - self.total)})."
        )
        missing = [r for r in self.risks if r.gap]
        if missing:
            out.append(
                f"{len(missing)} of {len(self.risks)} risks are below their floor; {sum(r.gap for r in missing)} keywords short:"
            )
            out += [f"  {r.risk} {r.name}: {r.have} of {r.need} (gap {r.gap})" for r in missing]
        if self.untagged:
            out.append(f"{self.untagged} keywords carry no risk id and count for no risk.")
        if self.short:
            out.append(
                f"{len(self.short)} keywords are one character after normalisation: {', '.join(self.short[:10])}"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "demo": self.demo,
            "total": self.total,
            "need_total": self.need_total,
            "percent_of_floors": round(self.percent, 1),
            "untagged": self.untagged,
            "short": list(self.short),
            "risks": [
                {"risk": r.risk, "name": r.name, "have": r.have, "need": r.need, "gap": r.gap}
                for r in self.risks
            ],
        }


def coverage(lex: Lexicon, minimums: taxonomy.Minimums = taxonomy.MINIMUMS) -> Coverage:
    counts = lex.by_risk()
    risks = tuple(
        RiskCoverage(rid, taxonomy.BY_ID[rid].zh, counts.get(rid, 0), minimums.keywords_for(rid))
        for rid in taxonomy.KEYWORD_RISKS
    )
    short = tuple(e.keyword for e in lex.entries if len(e.key) < 2)
    return Coverage(
        total=len(lex),
        need_total=minimums.keywords_total,
        risks=risks,
        untagged=sum(1 for e in lex.entries if not e.risks),
        short=short,
        demo=lex.demo,
    )


# --------------------------------------------------------------------------------------------------- diff


@dataclass(frozen=True, slots=True)
class Diff:
    added: tuple[Entry, ...]
    removed: tuple[Entry, ...]
    changed: tuple[tuple[Entry, Entry], ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": [e.to_json() for e in self.added],
            "removed": [e.to_json() for e in self.removed],
            "changed": [{"old": a.to_json(), "new": b.to_json()} for a, b in self.changed],
        }


def diff(old: Lexicon, new: Lexicon) -> Diff:
    """Entries added, removed and changed (risks or options), keyed by the normalised keyword."""
    a = {(e.key, e.mode == "exact"): e for e in old.entries}
    b = {(e.key, e.mode == "exact"): e for e in new.entries}
    added = tuple(b[k] for k in b if k not in a)
    removed = tuple(a[k] for k in a if k not in b)
    changed = tuple((a[k], b[k]) for k in a if k in b and a[k] != b[k] and _material(a[k], b[k]))
    return Diff(added, removed, changed)


def _material(x: Entry, y: Entry) -> bool:
    return (x.risks, x.mode, x.allow, x.notes) != (y.risks, y.mode, y.allow, y.notes)


def stats(lex: Lexicon) -> dict[str, Any]:
    """Counts a filing team asks for: by risk, by category, by script, by match mode."""
    by_cat: Counter[str] = Counter()
    for e in lex.entries:
        for c in {taxonomy.BY_ID[r].category for r in e.risks}:
            by_cat[c] += 1
    scripts: Counter[str] = Counter()
    for e in lex.entries:
        has_han = any("\u4e00" <= ch <= "\u9fff" for ch in e.keyword)
        has_latin = any(ch.isascii() and ch.isalpha() for ch in e.keyword)
        scripts[
            "han" if has_han and not has_latin else "latin" if has_latin and not has_han else "mixed"
        ] += 1
    return {
        "name": lex.name,
        "version": lex.version,
        "demo": lex.demo,
        "digest": lex.digest,
        "entries": len(lex),
        "merged_duplicates": lex.merged,
        "by_risk": dict(sorted(lex.by_risk().items())),
        "by_category": dict(sorted(by_cat.items())),
        "by_script": dict(scripts),
        "by_mode": dict(Counter(e.mode for e in lex.entries)),
        "with_allow_contexts": sum(1 for e in lex.entries if e.allow),
    }
