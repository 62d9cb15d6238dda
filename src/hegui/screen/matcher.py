"""Multi-keyword matching over normalised text, with every hit pointing at its span in the original.

The default engine is ahocorasick-rs (Rust ``aho-corasick``, DFA). It scans the normalised text as UTF-8 bytes:
the byte DFA is much faster than the string API (which converts offsets for every match), and UTF-8 is the
densest byte form of mixed Chinese / English text (both byte engines run about twice as fast on it as on UTF-16
units). UTF-8 is self-synchronising, so a keyword can only match at a character boundary; the byte offsets of the
hits, and only those, are converted back to character offsets (:func:`char_offsets`). hyperscan (optional extra
``hegui[hyperscan]``) scans the same bytes with its SIMD literal compiler.

Streaming: :meth:`Matcher.stream` returns a :class:`Stream` whose ``feed(chunk)`` reports the hits that end in
what it has seen so far, including hits that straddle chunk boundaries, at offsets in the whole stream. It keeps
only a short tail between chunks, so memory is bounded whatever the length of a line. :meth:`Matcher.find`
uses the same machinery on long texts.
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

from hegui.errors import InputError, LimitExceededError, UsageError
from hegui.screen.lexicon import Entry, Lexicon
from hegui.screen.normalize import (
    DEFAULT_OPTIONS,
    SEPARATORS,
    Normalized,
    NormalizeOptions,
    normalize,
    tables,
)

Engine = Literal["auto", "ahocorasick", "hyperscan"]
CHUNK_CHARS = 1 << 20
"""Texts longer than this are scanned in chunks of this many characters (bounded memory)."""
MAX_HITS = 1_000_000
"""A scan that finds more hits than this raises ``LimitExceededError`` instead of filling memory."""
READ_BYTES = 1 << 22


class Hit(NamedTuple):
    """One keyword found: ``[start, end)`` in the original text, the entry's keyword and its risks.

    A named tuple rather than a frozen dataclass: a scan can build hundreds of thousands, and tuple creation is
    several times cheaper.
    """

    start: int
    end: int
    keyword: str
    risks: tuple[str, ...]
    matched: str
    mode: str = "normalized"

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "keyword": self.keyword,
            "matched": self.matched,
            "risks": list(self.risks),
            "mode": self.mode,
            "explanation": f"keyword {self.keyword!r} ({self.mode} match) at [{self.start}, {self.end})",
        }


class _Backend(Protocol):
    def scan(self, data: bytes) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(pattern ids, end byte offsets) of every occurrence, overlapping."""
        ...


class _AhoCorasick:
    def __init__(self, patterns: list[bytes]) -> None:
        import ahocorasick_rs

        self._ac = ahocorasick_rs.BytesAhoCorasick(patterns, implementation=ahocorasick_rs.Implementation.DFA)

    def scan(self, data: bytes) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        found = self._ac.find_matches_as_indexes(data, overlapping=True)
        if not found:
            return _E, _E
        arr = np.asarray(found, dtype=np.int64)
        return arr[:, 0], arr[:, 2]


class _Hyperscan:
    """Hyperscan (Vectorscan) database over the same UTF-8 bytes as the default engine.

    Each keyword is compiled as a regular expression with every byte escaped (``\\xe6\\xb3\\x95...``): still a
    literal to hyperscan's compiler, it scans about 20 % faster than the literal API's database, and a keyword
    holding a NUL byte (which that API would cut short) stays whole.
    """

    def __init__(self, patterns: list[bytes]) -> None:
        try:
            import hyperscan
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise UsageError("the hyperscan engine needs the extra: pip install 'hegui[hyperscan]'") from exc
        escaped = [b"".join(b"\\x%02x" % c for c in p) for p in patterns]
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(expressions=escaped, ids=list(range(len(escaped))), flags=0)
        self._hs = hyperscan
        self._local = threading.local()  # hyperscan scratch space must not be shared between threads

    def scan(self, data: bytes) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        ids: list[int] = []
        ends: list[int] = []

        def on_match(pid: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            ids.append(pid)
            ends.append(end)

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        if not ids:
            return _E, _E
        return np.asarray(ids, dtype=np.int64), np.asarray(ends, dtype=np.int64)


_E = np.zeros(0, dtype=np.int64)


def char_offsets(data: bytes, *offsets: NDArray[np.int64]) -> tuple[NDArray[np.int64], ...]:
    """Character offsets of byte offsets into the UTF-8 ``data`` (each at a character boundary).

    The characters before byte ``b`` are ``b`` less the continuation bytes (0x80-0xBF) before it. Those are
    counted in three levels, so that the whole text is touched by two cheap passes only: 0/1 flags per byte
    summed per 128-byte block as eight byte lanes of 64-bit words; then, for each offset only, the words of its
    block before it and the bytes of its word before it.
    """
    if data.isascii():
        return offsets
    n = len(data)
    m = (n // _BLOCK + 1) * _BLOCK  # at least one zero block after the end, so that offset n needs no case
    flags = np.zeros(m, dtype=np.uint8)
    np.less(np.frombuffer(data, dtype=np.int8), -64, out=flags[:n].view(np.bool_))
    words = flags.view(np.uint64)
    per_block = (words.reshape(-1, _BLOCK // 8).sum(axis=1) * _LANES) >> _TOP  # lanes hold at most 16
    before_block = np.concatenate((_ZERO, np.cumsum(per_block.astype(np.int64))))
    out = []
    for o in offsets:
        block = o // _BLOCK
        word = o // 8
        in_block = block[:, None] * (_BLOCK // 8) + _WORD_STEPS
        word_counts = ((words[in_block] * _LANES) >> _TOP).astype(np.int64)
        before_words = np.where(in_block < word[:, None], word_counts, 0).sum(axis=1, dtype=np.int64)
        in_word = word[:, None] * 8 + _BYTE_STEPS
        before_bytes = np.where(in_word < o[:, None], flags[in_word], 0).sum(axis=1, dtype=np.int64)
        out.append(o - before_block[block] - before_words - before_bytes)
    return tuple(out)


_BLOCK = 128
_LANES = np.uint64(0x0101010101010101)  # multiplying sums the eight byte lanes into the top byte
_TOP = np.uint64(56)
_WORD_STEPS = np.arange(_BLOCK // 8, dtype=np.int64)
_BYTE_STEPS = np.arange(8, dtype=np.int64)
_ZERO = np.zeros(1, dtype=np.int64)


def _squeezed(key: str) -> str:
    """A multi-word keyword without its separators, the form it takes when every letter is spaced out."""
    if not any(ch in SEPARATORS for ch in key):
        return key
    return "".join(ch for ch in key if ch not in SEPARATORS) or key


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


class Matcher:
    """Compiled keyword automaton over a lexicon. Thread-safe for ``find``; one :class:`Stream` per stream.

    ``engine="auto"`` uses hyperscan when the ``hyperscan`` extra is installed and ahocorasick-rs otherwise.
    """

    def __init__(
        self,
        lexicon: Lexicon | Iterable[Entry],
        *,
        engine: Engine = "auto",
        options: NormalizeOptions = DEFAULT_OPTIONS,
    ) -> None:
        entries = list(lexicon)
        self.options = options
        self.entries: list[Entry] = []
        self.exact: list[Entry] = []
        patterns: list[bytes] = []
        self.max_units = 1
        for e in entries:
            if e.mode == "exact":
                self.exact.append(e)
                continue
            key = e.key
            if not key:
                continue
            for variant in dict.fromkeys((key, _squeezed(key))):
                self.entries.append(e)
                patterns.append(variant.encode("utf-8", "surrogatepass"))
                self.max_units = max(self.max_units, len(variant))
        self.max_exact = max((len(e.keyword) for e in self.exact), default=1)
        self._word = np.array([e.mode == "word" for e in self.entries], dtype=bool)
        self._has_allow = any(e.allow for e in self.entries)
        # Per pattern: what its hits carry, and the rank of its keyword (hits are ordered by start, end, keyword).
        self._meta = [(e.keyword, e.risks, e.mode) for e in self.entries]
        self._chars = np.array([len(p.decode("utf-8", "surrogatepass")) for p in patterns], dtype=np.int64)
        ranks = {k: i for i, k in enumerate(sorted({e.keyword for e in self.entries}))}
        self._rank = np.array([ranks[e.keyword] for e in self.entries], dtype=np.int64)
        if engine == "auto":
            # Same hits either way (a test holds them equal); hyperscan is faster when the extra is installed.
            engine = "hyperscan" if hyperscan_available() else "ahocorasick"
        self.engine = engine
        self._backend: _Backend | None = None
        if patterns:
            self._backend = _Hyperscan(patterns) if engine == "hyperscan" else _AhoCorasick(patterns)
        self._exact_ac: Any = None
        if self.exact:
            import ahocorasick_rs

            self._exact_ac = ahocorasick_rs.AhoCorasick([e.keyword for e in self.exact])
        self._allow_norm = {
            i: tuple(normalize(a, options).text for a in e.allow) for i, e in enumerate(self.entries)
        }

    # ------------------------------------------------------------------------------------------- one-shot

    def find(self, text: str, *, max_hits: int = MAX_HITS) -> list[Hit]:
        """Every hit in ``text`` (overlapping hits included), sorted by start offset."""
        if len(text) <= CHUNK_CHARS:
            return self._find_block(text, 0, len(text), 0, max_hits=max_hits)
        stream = self.stream(max_hits=max_hits)
        hits: list[Hit] = []
        for i in range(0, len(text), CHUNK_CHARS):
            hits += stream.feed(text[i : i + CHUNK_CHARS])
        hits += stream.close()
        return hits

    def _find_block(
        self, text: str, report_from: int, report_to: int, base: int, *, max_hits: int = MAX_HITS
    ) -> list[Hit]:
        """Hits in ``text`` ending in ``(report_from, report_to]`` (offsets within ``text``), shifted by ``base``."""
        hits: list[Hit] = []
        if self._backend is not None and text:
            norm = normalize(text, self.options)
            hits = self._normalized_hits(text, norm, report_from, report_to, base, max_hits)
        if self._exact_ac is not None and text:
            exact = len(hits)
            for pid, s, e in self._exact_ac.find_matches_as_indexes(text, overlapping=True):
                if report_from < e <= report_to:
                    entry = self.exact[pid]
                    hits.append(Hit(s + base, e + base, entry.keyword, entry.risks, text[s:e], "exact"))
            if len(hits) > exact:  # the normalised hits come sorted already
                hits.sort(key=lambda h: (h.start, h.end, h.keyword))
        if len(hits) > max_hits:
            raise LimitExceededError(f"more than {max_hits} keyword hits; the input looks degenerate")
        return hits

    def _normalized_hits(
        self, text: str, norm: Normalized, report_from: int, report_to: int, base: int, max_hits: int
    ) -> list[Hit]:
        """Hits of the normalised patterns ending in ``(report_from, report_to]``, sorted by start, end, keyword.

        Everything up to the final list is done on arrays; per hit, Python only slices the matched text and builds
        the tuple.
        """
        assert self._backend is not None
        data = norm.text.encode("utf-8", "surrogatepass")
        pid, bend = self._backend.scan(data)
        if pid.size == 0:
            return []
        if pid.size > max_hits:
            raise LimitExceededError(f"more than {max_hits} keyword hits; the input looks degenerate")
        (uend,) = char_offsets(data, bend)
        ustart = uend - self._chars[pid]  # one character per unit: a match spans its pattern's length
        if self._word[pid].any():
            ok = ~self._word[pid] | self._word_boundaries(norm.units, ustart, uend)
            pid, ustart, uend = pid[ok], ustart[ok], uend[ok]
        ostart, oend = norm.spans(ustart, uend)
        keep = (oend > report_from) & (oend <= report_to)
        order = np.flatnonzero(keep)
        order = order[np.lexsort((pid[order], self._rank[pid[order]], oend[order], ostart[order]))]
        pids = pid[order].tolist()
        starts = ostart[order].tolist()
        ends = oend[order].tolist()
        if self._has_allow:
            entries = self.entries
            allowed = [
                bool(entries[p].allow) and self._allowed(norm, p, us, ue)
                for p, us, ue in zip(pids, ustart[order].tolist(), uend[order].tolist(), strict=True)
            ]
            if any(allowed):
                pids, starts, ends = (
                    [x for x, a in zip(col, allowed, strict=True) if not a] for col in (pids, starts, ends)
                )
        meta = self._meta
        # tuple.__new__ builds a Hit without the argument handling of its constructor: about twice as fast.
        new = tuple.__new__
        return [
            new(Hit, (s + base, e + base, m[0], m[1], text[s:e], m[2]))
            for m, s, e in zip(map(meta.__getitem__, pids), starts, ends, strict=True)
        ]

    @staticmethod
    def _word_boundaries(
        units: NDArray[np.uint16], start: NDArray[np.int64], end: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        n = units.size

        def is_latin(idx: NDArray[np.int64]) -> NDArray[np.bool_]:
            u = units[np.clip(idx, 0, max(n - 1, 0))]
            return (((u >= 0x61) & (u <= 0x7A)) | ((u >= 0x30) & (u <= 0x39))) & (idx >= 0) & (idx < n)

        return ~is_latin(start - 1) & ~is_latin(end)

    def _allowed(self, norm: Normalized, p: int, us: int, ue: int) -> bool:
        """True when an allow-list context of entry ``p`` covers the hit ``[us, ue)`` (normalised units)."""
        for ctx in self._allow_norm[p]:
            lo = max(0, ue - len(ctx))
            window = norm.units[lo : us + len(ctx)].tobytes().decode("utf-16-le", "surrogatepass")
            at = window.find(ctx)
            while at != -1:
                if lo + at <= us and lo + at + len(ctx) >= ue:
                    return True
                at = window.find(ctx, at + 1)
        return False

    # ------------------------------------------------------------------------------------------- streaming

    def stream(self, *, max_hits: int = MAX_HITS) -> Stream:
        return Stream(self, max_hits=max_hits)

    def scan_file(
        self,
        path: str | Path,
        *,
        errors: Literal["strict", "replace"] = "strict",
        on_progress: Any = None,
    ) -> Iterator[Hit]:
        """Hits in a UTF-8 text file of any size, read in 4 MiB blocks; offsets are in characters."""
        p = Path(path)
        try:
            handle = p.open("rb")
        except OSError as exc:
            raise InputError(f"cannot open ({exc.strerror})", path=p) from exc
        with handle:
            yield from self.scan_binary(handle, name=str(p), errors=errors, on_progress=on_progress)

    def scan_binary(
        self,
        handle: BinaryIO,
        *,
        name: str = "<stream>",
        errors: Literal["strict", "replace"] = "strict",
        on_progress: Any = None,
    ) -> Iterator[Hit]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors=errors)
        stream = self.stream()
        offset = 0
        first = True
        while True:
            block = handle.read(READ_BYTES)
            if first and block:
                first = False
                if block.startswith(codecs.BOM_UTF8):
                    block = block[3:]
                    offset = 3
                if errors == "strict" and b"\x00" in block[:65536]:
                    raise InputError(
                        "looks like a binary file (NUL bytes in the first 64 KiB); screen text files only, "
                        "or pass errors='replace' to scan it anyway",
                        path=name,
                        offset=block.index(b"\x00") + offset,
                    )
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid UTF-8 ({exc.reason}); convert the file to UTF-8 or pass errors='replace'",
                    path=name,
                    offset=offset + exc.start,
                ) from exc
            offset += len(block)
            if text:
                yield from stream.feed(text)
            if on_progress is not None:
                on_progress(len(block))
            if not block:
                break
        yield from stream.close()


TAIL_LIMIT = 1 << 16
"""Most characters kept between chunks. A keyword spread over more invisibles than this across a chunk boundary
is missed; the cap keeps memory bounded on hostile input (megabytes of zero-width characters)."""


class Stream:
    """Feed text chunk by chunk; hits come back once complete, at offsets in the whole stream.

    Between chunks it keeps a tail long enough to hold the longest keyword in normalised form, however many
    separators or invisibles the original spreads it over. A hit touching the very end of what has been fed is
    held back until the next chunk (or :meth:`close`) shows that it is complete: a ``word`` keyword may turn out to
    continue, and a repeated Han character may extend its span.
    """

    def __init__(self, matcher: Matcher, *, max_hits: int = MAX_HITS) -> None:
        self._m = matcher
        self._tail = ""
        self._tail_base = 0  # stream offset of self._tail[0]
        self._done = 0  # hits ending at or before this stream offset have been reported
        self._reported: set[tuple[int, str, str]] = set()
        self._hits = 0
        self._max_hits = max_hits
        self.chars = 0

    @property
    def safe_offset(self) -> int:
        """Stream offset before which no future hit can start: text before it can be passed on (the gateway
        releases a streamed reply up to here)."""
        return self._tail_base

    def feed(self, chunk: str) -> list[Hit]:
        """Hits completed by ``chunk``; a long chunk is scanned in pieces of ``CHUNK_CHARS`` (bounded memory)."""
        out: list[Hit] = []
        for i in range(0, len(chunk), CHUNK_CHARS):
            piece = chunk[i : i + CHUNK_CHARS]
            self.chars += len(piece)
            out += self._scan(self._tail + piece, final=False)
        return out

    def close(self) -> list[Hit]:
        """End of stream: report the hits held back at the end."""
        out = self._scan(self._tail, final=True) if self._tail else []
        self._tail = ""
        self._tail_base += 0
        return out

    def _scan(self, buf: str, *, final: bool) -> list[Hit]:
        base = self._tail_base
        done = self._done
        # Held back: a hit touching the last character, or followed only by characters the normaliser may drop
        # (separators, invisibles): the next chunk may repeat its last character after them ("丙丁." + "丁").
        gaps = 0 if final else self._trailing_gaps(buf)
        limit = base + len(buf) - (0 if final else 1 + gaps)
        hits = self._m._find_block(buf, done - base, limit - base, base, max_hits=self._max_hits)
        # Every hit ends in (done, limit]. One reported before ended at or before ``done``, so it started before it:
        # only those hits can repeat one (found again with its span extended by a repeat in this chunk).
        reported = self._reported
        out = [h for h in hits if h.start >= done or (h.start, h.keyword, h.mode) not in reported]
        self._hits += len(out)
        if self._hits > self._max_hits:
            raise LimitExceededError(f"more than {self._max_hits} keyword hits; the input looks degenerate")
        self._done = max(done, limit)
        if not final:
            keep = (
                self._tail_of(buf[: len(buf) - gaps]) + buf[len(buf) - gaps :] if gaps else self._tail_of(buf)
            )
            self._tail_base = tail = base + len(buf) - len(keep)
            self._tail = keep
            self._reported = {k for k in reported if k[0] >= tail}
            self._reported.update((h.start, h.keyword, h.mode) for h in out if h.start >= tail)
        return out

    def _trailing_gaps(self, buf: str) -> int:
        """How many characters at the end of ``buf`` the normaliser could drop (at most ``TAIL_LIMIT``)."""
        cls = tables(self._m.options).cls_full
        n = 0
        for ch in reversed(buf):
            if n >= TAIL_LIMIT or not cls[ord(ch)] & 0b1001:  # the gap (8) or invisible (1) class
                break
            n += 1
        return n

    def _tail_of(self, buf: str) -> str:
        """The shortest suffix of ``buf`` whose normalised form holds ``max_units + 2`` characters.

        A hit that ends in the next chunk starts at most ``max_units`` normalised characters back (one more for
        the held-back last character); two more give the separator rule its left context. Exact-mode keywords
        need ``max_exact`` raw characters.
        """
        need = self._m.max_units + 3
        take = min(max(need * 4, self._m.max_exact + 1), len(buf))
        while True:
            suffix = buf[-take:]
            norm = normalize(suffix, self._m.options)
            if len(norm) > need or take >= len(buf) or take >= TAIL_LIMIT:
                break
            take = min(take * 4, len(buf), TAIL_LIMIT)
        if len(norm) > need:
            start = int(norm.original_index(len(norm) - need))
            suffix = suffix[start:]
        if len(suffix) < self._m.max_exact + 1:
            suffix = buf[-(self._m.max_exact + 1) :]
        return suffix
