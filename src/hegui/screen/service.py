"""The screening service: one call that runs the whole pipeline the CLI, the demo and the coming gateway run.

``screen(texts)`` matches the keyword library (with normalisation), looks for personal information and, when asked,
runs the 31-risk classifier and the refusal detector. Every checker is a :class:`Screener`: one call shape
(``screener(texts) -> one list of findings per text``) and one finding type (:class:`hegui.results.Finding`), so a
judge or a proxy can plug in any of them, or its own. Spans are ``[start, end)`` character offsets in the
original text, and every result names the lexicon it was checked against (name, version, entries, digest).

``screen_file`` does the same for text files of any size (streamed, bounded memory) in UTF-8, UTF-16/32 (with or
without a byte order mark), GB18030/GBK or an encoding the caller names, and says which encoding it used.

The adapters below call the classifier and the refusal detector only through their public classes, so those
modules can change inside.
"""

from __future__ import annotations

import codecs
import contextvars
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol, runtime_checkable

from hegui.errors import InputError, UsageError
from hegui.extras import require, require_installed
from hegui.results import Finding, Severity, Span

require("screen", "numpy")
require_installed("screen", "ahocorasick_rs", "opencc", "jieba")
from hegui.screen import lexicon as L  # noqa: E402
from hegui.screen.matcher import Hit, Matcher  # noqa: E402
from hegui.screen.pii import Finding as PiiFinding  # noqa: E402
from hegui.screen.pii import PiiScanner, mask  # noqa: E402

Engine = Literal["auto", "ahocorasick", "hyperscan"]
ENGINES: tuple[str, ...] = ("auto", "ahocorasick", "hyperscan")
Classify = bool | Literal["fast", "accurate"]
"""Which risk classifier a pipeline runs: none (False), the fast n-gram model (True or ``"fast"``), or the cascade
that sends texts near the threshold to the embedding stage (``"accurate"``: about 170 ms for each such text on one
core; it flags more across sources, see docs/screen.md)."""


# ------------------------------------------------------------------------------------------------ screeners


@runtime_checkable
class Screener(Protocol):
    """Anything that screens texts: one list of findings per text, spans in the original text."""

    name: str

    def __call__(self, texts: Sequence[str]) -> list[list[Finding]]: ...


def keyword_finding(hit: Hit) -> Finding:
    return Finding(
        code="keyword",
        severity="warning",
        message=f"{hit.matched!r} matches keyword {hit.keyword!r} ({', '.join(hit.risks)})",
        source="matcher",
        span=Span(hit.start, hit.end),
        data=hit.to_json(),
    )


def pii_finding(found: PiiFinding) -> Finding:
    return Finding(
        code=f"pii.{found.kind}",
        severity="warning",
        message=f"personal information ({found.kind}), score {found.score:.2f}",
        source="pii",
        span=Span(found.start, found.end),
        data=found.to_json(),
    )


class KeywordScreener:
    """The keyword library matcher as a :class:`Screener`."""

    name = "matcher"

    def __init__(self, lexicon: L.Lexicon, *, engine: Engine = "auto") -> None:
        if engine not in ENGINES:
            raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        self.lexicon = lexicon
        self.matcher = Matcher(lexicon, engine=engine)

    def __call__(self, texts: Sequence[str]) -> list[list[Finding]]:
        return [[keyword_finding(h) for h in self.matcher.find(t)] for t in texts]


class PiiScreener:
    """The personal-information scanner as a :class:`Screener`."""

    name = "pii"

    def __init__(self, scanner: PiiScanner | None = None) -> None:
        self.scanner = scanner or PiiScanner()

    def __call__(self, texts: Sequence[str]) -> list[list[Finding]]:
        return [[pii_finding(f) for f in self.scanner.scan(t)] for t in texts]


class ClassifierScreener:
    """The 31-risk classifier as a :class:`Screener`: one finding per text with its verdict.

    A flagged text gives a ``warning``; an unflagged one an ``info`` finding that still carries the scores, so a
    caller sees what the classifier thought. Needs the ``[screen]`` extra's model.
    """

    name = "classifier"

    def __init__(self, classifier: Any = None, *, accurate: bool = False) -> None:
        if classifier is None:
            from hegui.screen.classify import accurate_classifier, default_classifier

            classifier = accurate_classifier() if accurate else default_classifier()
        self.classifier = classifier

    def __call__(self, texts: Sequence[str]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for text, score in zip(texts, self.classifier.classify(list(texts)), strict=True):
            data = score.to_json()
            flagged = list(data.get("flagged") or [])
            severity: Severity = "warning" if flagged else "info"
            message = (
                f"classifier flags {', '.join(flagged)}" if flagged else f"classifier: {data.get('label')}"
            ) + f" (p={data.get('probability')})"
            # The span is the sentence window that set the verdict, where one did (a harmful request inside a
            # long benign frame), else the whole text.
            window = data.get("window")
            span = Span(window["start"], window["end"]) if window else Span(0, len(text))
            if window:
                message += f"; most unsafe at characters {window['start']}-{window['end']}"
            out.append(
                [
                    Finding(
                        code="risk",
                        severity=severity,
                        message=message,
                        source=self.name,
                        span=span,
                        data=data,
                    )
                ]
            )
        return out


class RefusalScreener:
    """The refusal detector as a :class:`Screener` over model answers: one ``info`` finding per answer."""

    name = "refusal"

    def __init__(self, detector: Any = None) -> None:
        if detector is None:
            from hegui.screen.refusal import RefusalDetector

            detector = RefusalDetector()
        self.detector = detector

    def __call__(self, texts: Sequence[str]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for text, r in zip(texts, self.detector.detect_many(list(texts)), strict=True):
            data = r.to_json()
            verdict = "a refusal" if data.get("refusal") else "an answer"
            out.append(
                [
                    Finding(
                        code="refusal", severity="info", message=f"{verdict} ({data.get('kind')}, p={data.get('score')})",
                        source=self.name, span=Span(0, len(text)), data=data,
                    )
                ]
            )  # fmt: skip
        return out


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class LexiconIdentity:
    """What a result was checked against: two results with the same digest used the same keywords."""

    name: str
    version: str
    entries: int
    digest: str
    demo: bool

    @classmethod
    def of(cls, lexicon: L.Lexicon) -> LexiconIdentity:
        return cls(lexicon.name, lexicon.version, len(lexicon), lexicon.digest, lexicon.demo)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "entries": self.entries,
            "digest": self.digest,
            "demo": self.demo,
        }


@dataclass(frozen=True)
class TextResult:
    """The findings for one text. ``found`` is True when any finding is more than ``info``."""

    text: str
    findings: list[Finding]

    @property
    def found(self) -> bool:
        return any(f.severity != "info" for f in self.findings)

    def by_source(self, source: str) -> list[Finding]:
        return [f for f in self.findings if f.source == source]

    def masked(self) -> str:
        """The text with its personal information masked (138****5678)."""
        pii = [
            PiiFinding(**{k: f.data[k] for k in ("start", "end", "kind", "text", "score")})
            for f in self.by_source("pii")
        ]
        return mask(self.text, pii)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "found": self.found,
            "findings": [f.to_dict() for f in self.findings],
            # per-checker views of the same findings, in each checker's own shape (kept for existing consumers)
            "keywords": [dict(f.data) for f in self.by_source("matcher")],
            "pii": [dict(f.data) for f in self.by_source("pii")],
        }
        for source, key in (("classifier", "risk"), ("refusal", "refusal")):
            got = self.by_source(source)
            if got:
                out[key] = dict(got[0].data)
        return out


@dataclass(frozen=True)
class ScreenResult:
    """What :func:`screen` returns: one :class:`TextResult` per text, and the lexicon used."""

    lexicon: LexiconIdentity
    results: list[TextResult]
    screeners: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return any(r.found for r in self.results)

    def __iter__(self) -> Iterator[TextResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, i: int) -> TextResult:
        return self.results[i]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lexicon": self.lexicon.to_dict(),
            "screeners": list(self.screeners),
            "found": self.found,
            "findings": self.found,  # the earlier name of "found", kept for existing consumers
            "results": [r.to_dict() for r in self.results],
        }


# ------------------------------------------------------------------------------------------------ the pipeline


def lexicon_source(
    lexicon: L.Lexicon | str | os.PathLike[str] | None = None,
) -> L.Lexicon | str | os.PathLike[str]:
    """What to load for what a caller names: a :class:`Lexicon` or ``"demo"`` as given; None takes
    ``HEGUI_LEXICON`` or ``lexicon`` in hegui.toml, else ``"demo"``; a bare name that is not a file here is looked
    up in the user data folder's ``lexicons/`` (``NAME``, ``NAME.json``, ``.xlsx``, ``.csv``)."""
    if isinstance(lexicon, L.Lexicon):
        return lexicon
    from hegui.config import load_config

    if lexicon is None:
        lexicon = load_config().lexicon or "demo"
    path = Path(lexicon)
    if str(lexicon) != "demo" and not path.exists() and len(path.parts) == 1:
        folder = load_config().lexicons_dir
        for candidate in (
            folder / path.name,
            *(folder / f"{path.name}{ext}" for ext in (".json", ".xlsx", ".csv")),
        ):
            if candidate.is_file():
                return candidate
    return lexicon


def resolve_lexicon(lexicon: L.Lexicon | str | os.PathLike[str] | None = None) -> L.Lexicon:
    """A lexicon object from what a caller gives: a :class:`Lexicon`, a path, ``"demo"``, or None.

    None takes ``HEGUI_LEXICON`` or ``lexicon`` in hegui.toml, else the small demo lexicon (whose identity says
    ``demo: true``, so no result passes for a filing-grade check by accident).
    """
    if isinstance(lexicon, L.Lexicon):
        return lexicon
    if lexicon is None:
        from hegui.config import load_config

        lexicon = load_config().lexicon or "demo"
    lex = L.load_demo() if str(lexicon) == "demo" else L.load(Path(lexicon))
    if lex.is_demo:
        # On stderr for the CLI and any caller: a demo lexicon must never pass for a filing-grade check unseen.
        warnings.warn(L.DEMO_WARNING, DemoLexiconWarning, stacklevel=2)
    return lex


class DemoLexiconWarning(UserWarning):
    """Screening runs with the demo lexicon (82 illustrative keywords)."""


@dataclass
class Pipeline:
    """The screeners :func:`screen` runs, built once and reusable across calls (a service keeps one)."""

    lexicon: L.Lexicon
    screeners: list[Screener] = field(default_factory=list)
    _identity: LexiconIdentity | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        lexicon: L.Lexicon | str | os.PathLike[str] | None = None,
        *,
        pii: bool = True,
        classify: Classify = False,
        refusal: bool = False,
        engine: Engine = "auto",
        extra: Iterable[Screener] = (),
    ) -> Pipeline:
        if classify not in (False, True, "fast", "accurate"):
            raise UsageError(f"classify must be False, True, 'fast' or 'accurate', not {classify!r}")
        lex = resolve_lexicon(lexicon_source(lexicon))
        screeners: list[Screener] = [KeywordScreener(lex, engine=engine)]
        if pii:
            screeners.append(PiiScreener())
        if classify:
            screeners.append(ClassifierScreener(accurate=classify == "accurate"))
        if refusal:
            screeners.append(RefusalScreener())
        screeners.extend(extra)
        return cls(lex, screeners)

    def __call__(self, texts: Sequence[str] | str) -> ScreenResult:
        batch = [texts] if isinstance(texts, str) else list(texts)
        for i, t in enumerate(batch):
            if not isinstance(t, str):
                raise UsageError(f"text {i} is a {type(t).__name__}, not a str; decode bytes first")
        per_text: list[list[Finding]] = [[] for _ in batch]
        for screener in self.screeners:
            got = screener(batch)
            if len(got) != len(batch):
                raise UsageError(
                    f"screener {screener.name!r} returned {len(got)} results for {len(batch)} texts"
                )
            for bucket, findings in zip(per_text, got, strict=True):
                bucket.extend(findings)
        results = [
            TextResult(t, sorted(fs, key=lambda f: (f.span.start if f.span else -1, f.source)))
            for t, fs in zip(batch, per_text, strict=True)
        ]
        return ScreenResult(self.identity, results, tuple(s.name for s in self.screeners))

    @property
    def identity(self) -> LexiconIdentity:
        """The lexicon's identity, computed once: its digest normalises every keyword (seconds for 10,000)."""
        if self._identity is None:
            self._identity = LexiconIdentity.of(self.lexicon)
        return self._identity


def screen(
    texts: Sequence[str] | str,
    *,
    lexicon: L.Lexicon | str | os.PathLike[str] | None = None,
    pii: bool = True,
    classify: Classify = False,
    refusal: bool = False,
    engine: Engine = "auto",
    screeners: Iterable[Screener] = (),
) -> ScreenResult:
    """Screen texts: keywords (always), personal information, the risk classifier (``classify``: see
    :data:`Classify`) and refusals (when asked), plus any extra ``screeners``. For many calls build a
    :class:`Pipeline` once instead."""
    pipeline = Pipeline.build(
        lexicon, pii=pii, classify=classify, refusal=refusal, engine=engine, extra=screeners
    )
    return pipeline(texts)


# ------------------------------------------------------------------------------------------------ files

READ_BYTES = 4 << 20
SNIFF_BYTES = 64 << 10
PII_LINE_LIMIT = 1 << 20
"""A line longer than this many characters is scanned for personal information in pieces of this size."""
DEFAULT_MAX_BAD = 0.01
"""In ``errors="replace"`` mode, a file with more than this share of undecodable bytes is an input error: it is
almost surely in another encoding, and its screening would be meaningless."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Encoding:
    """The encoding a file was read with, how it was chosen, and the length of its byte order mark."""

    name: str
    how: Literal["bom", "detected", "given"]
    bom: int = 0


def _decodes(sample: bytes, name: str) -> bool:
    try:
        codecs.getincrementaldecoder(name)("strict").decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def sniff_encoding(head: bytes) -> Encoding:
    """Pick the encoding of a text from its first bytes: a byte order mark, UTF-16 by its zero bytes, UTF-8 when
    the head decodes as UTF-8, else GB18030 (the superset of GBK and GB2312) when it decodes as that.

    Big5 and other double-byte encodings often decode as GB18030 too (to the wrong characters); no detector can
    tell them apart reliably, so callers name those with ``encoding=`` and every result reports what was used.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return Encoding(name, "bom", len(bom))
    sample = head[:SNIFF_BYTES]
    if len(sample) >= 4 and b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
            return Encoding("utf-16-le", "detected")
        if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
            return Encoding("utf-16-be", "detected")
    if _decodes(sample, "utf-8"):
        return Encoding("utf-8", "detected")
    if _decodes(sample, "gbk"):
        return Encoding("gbk", "detected")
    if _decodes(sample, "gb18030"):
        return Encoding("gb18030", "detected")
    return Encoding("utf-8", "detected")  # nothing fits: UTF-8, and the decoder reports where it fails


_bad_bytes: contextvars.ContextVar[list[int]] = contextvars.ContextVar("hegui_bad_bytes")


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    counter = _bad_bytes.get(None)
    if counter is not None:
        counter[0] += exc.end - exc.start
    return "\ufffd", exc.end


codecs.register_error("hegui.count-replace", _count_and_replace)


@dataclass(frozen=True)
class FileResult:
    """The findings of one file: keyword hits and personal information at character offsets of the decoded text."""

    path: str
    encoding: Encoding
    size: int
    findings: list[Finding]
    replaced_bytes: int = 0

    @property
    def found(self) -> bool:
        return any(f.severity != "info" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "encoding": self.encoding.name,
            "encoding_from": self.encoding.how,
            "bytes": self.size,
            "replaced_bytes": self.replaced_bytes,
            "found": self.found,
            "findings": [f.to_dict() for f in self.findings],
            "keywords": [dict(f.data) for f in self.findings if f.source == "matcher"],
            "pii": [dict(f.data) for f in self.findings if f.source == "pii"],
        }


def _lines_for_pii(scanner: PiiScanner, chunks: Iterable[str]) -> Iterator[Finding]:
    """PII findings line by line (names and addresses need their line), offsets in the whole text."""
    pending = ""
    base = 0  # character offset of ``pending`` in the whole text

    def scan(piece: str, at: int) -> Iterator[Finding]:
        for f in scanner.scan(piece):
            d = f.to_json()
            d["start"] += at
            d["end"] += at
            yield pii_finding(PiiFinding(d["start"], d["end"], f.kind, f.text, f.score, f.explanation))

    for chunk in chunks:
        pending += chunk
        cut = pending.rfind("\n") + 1
        if cut == 0 and len(pending) > PII_LINE_LIMIT:
            cut = PII_LINE_LIMIT
        if cut:
            head, pending = pending[:cut], pending[cut:]
            start = 0
            for line in head.splitlines(keepends=True):
                yield from scan(line, base + start)
                start += len(line)
            base += cut
    if pending:
        yield from scan(pending, base)


def _decoded_chunks(
    handle: BinaryIO,
    *,
    name: str,
    encoding: Encoding,
    errors: Literal["strict", "replace"],
    first: bytes,
    on_progress: Callable[[int], None] | None,
    seen: list[int],
) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding.name)(
        "strict" if errors == "strict" else "hegui.count-replace"
    )
    offset = 0
    block = first
    skip = encoding.bom
    while True:
        data = block[skip:] if skip else block
        try:
            text = decoder.decode(data, final=not block)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"not valid {encoding.name} ({exc.reason}, {encoding.how}); name the file's encoding "
                "(--encoding / encoding=), or replace undecodable bytes (--errors replace / errors='replace')",
                path=name,
                offset=offset + skip + exc.start,
            ) from None
        offset += len(block)
        seen[0] = offset
        skip = 0
        if text:
            yield text
        if on_progress is not None and block:
            on_progress(len(block))
        if not block:
            return
        block = handle.read(READ_BYTES)


def screen_stream(
    handle: BinaryIO,
    *,
    name: str = "<stream>",
    lexicon: L.Lexicon | str | os.PathLike[str] | None = None,
    matcher: Matcher | None = None,
    pii: bool | PiiScanner = False,
    encoding: str | None = None,
    errors: Literal["strict", "replace"] = "strict",
    max_bad: float = DEFAULT_MAX_BAD,
    on_progress: Callable[[int], None] | None = None,
) -> FileResult:
    """Screen a binary stream of text in bounded memory (see :func:`screen_file`)."""
    if errors not in ("strict", "replace"):
        raise UsageError(f"errors must be 'strict' or 'replace', not {errors!r}")
    if matcher is None:
        matcher = Matcher(resolve_lexicon(lexicon_source(lexicon)))
    first = handle.read(READ_BYTES)
    if encoding:
        try:
            enc = Encoding(codecs.lookup(encoding).name, "given")
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r}") from None
        if enc.name.startswith("utf-8") or enc.name.startswith("utf-16") or enc.name.startswith("utf-32"):
            sniffed = sniff_encoding(first)
            if sniffed.how == "bom" and sniffed.name.split("-")[:2] == enc.name.split("-")[:2]:
                enc = Encoding(enc.name, "given", sniffed.bom)
    else:
        enc = sniff_encoding(first)
    if (
        errors == "strict"
        and not enc.name.startswith(("utf-16", "utf-32"))
        and b"\x00" in first[:SNIFF_BYTES]
    ):
        raise InputError(
            "looks like a binary file (NUL bytes in the first 64 KiB); screen text files only, "
            "or replace undecodable bytes (--errors replace / errors='replace') to scan it anyway",
            path=name,
            offset=first.index(b"\x00"),
        )
    counter = [0]
    seen = [0]
    token = _bad_bytes.set(counter)
    try:
        chunks = _decoded_chunks(
            handle, name=name, encoding=enc, errors=errors, first=first, on_progress=on_progress, seen=seen
        )
        stream = matcher.stream()
        scanner = pii if isinstance(pii, PiiScanner) else (PiiScanner() if pii else None)
        findings: list[Finding] = []

        def tee() -> Iterator[str]:
            for text in chunks:
                findings.extend(keyword_finding(h) for h in stream.feed(text))
                yield text

        if scanner is not None:
            findings.extend(_lines_for_pii(scanner, tee()))
        else:
            for _ in tee():
                pass
        findings.extend(keyword_finding(h) for h in stream.close())
        total = seen[0]
    finally:
        _bad_bytes.reset(token)
    bad = counter[0]
    nbytes = max(total, 1)
    if errors == "replace" and bad > max_bad * nbytes:
        raise InputError(
            f"{bad} undecodable bytes as {enc.name} ({bad / nbytes:.1%} of the file, more than {max_bad:.1%}): "
            "the file is in another encoding; name it (--encoding / encoding=)",
            path=name,
        )
    findings.sort(key=lambda f: (f.span.start if f.span else -1, f.source))
    return FileResult(name, enc, total, findings, bad)


def screen_file(
    path: str | os.PathLike[str],
    *,
    lexicon: L.Lexicon | str | os.PathLike[str] | None = None,
    matcher: Matcher | None = None,
    pii: bool | PiiScanner = False,
    encoding: str | None = None,
    errors: Literal["strict", "replace"] = "strict",
    max_bad: float = DEFAULT_MAX_BAD,
    on_progress: Callable[[int], None] | None = None,
) -> FileResult:
    """Screen a text file of any size for keywords (and personal information), streamed in 4 MiB blocks.

    The encoding is ``encoding`` when given, else found by :func:`sniff_encoding` and reported in the result.
    ``errors="replace"`` scans past undecodable bytes and counts them; more than ``max_bad`` of the file's bytes
    is an :class:`InputError`. Offsets are characters of the decoded text (after any byte order mark).
    """
    p = Path(path)
    try:
        handle = p.open("rb")
    except OSError as exc:
        raise InputError(f"cannot open ({exc.strerror})", path=p) from None
    with handle:
        return screen_stream(
            handle, name=str(p), lexicon=lexicon, matcher=matcher, pii=pii, encoding=encoding, errors=errors,
            max_bad=max_bad, on_progress=on_progress,
        )  # fmt: skip


def collect_files(paths: Iterable[str | os.PathLike[str]], *, ext: Sequence[str] = ()) -> list[Path]:
    """Files to screen: each file as given, and the files under each folder (recursive, sorted, hidden entries
    skipped), those with one of the extensions ``ext`` (``txt`` or ``.txt``; all when empty)."""
    wanted = tuple("." + e.lower().lstrip(".") for e in ext)
    out: list[Path] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.startswith("."):
                        continue
                    if wanted and not f.lower().endswith(wanted):
                        continue
                    out.append(Path(root) / f)
        else:
            out.append(p)
    return out
