"""Fold the tricks people use to slip keywords past a filter, and keep a map back to the original text.

Every step maps one original character to one normalised character or drops it, so a hit in the normalised text
always points at an exact span of the original (:meth:`Normalized.span`). The work is vectorised with numpy
(two table lookups per character and a few 8-bit masks), because a per-character Python loop would be ten times
slower than the keyword matcher it feeds. Only what ordinary text rarely has is followed up position by position:
separator runs after a Han character or a lone letter, invisibles, repeats. The offset map is sparse (the dropped
positions), so it costs nothing until a hit asks for its span.

Steps, in order:

1. **Character folding** (one table, built once): NFKC where it yields one character (full-width letters and
   digits, circled and mathematical letters, Kangxi radicals), lower-casing, traditional to simplified Chinese
   (OpenCC ``t2s`` data, character by character), and common Latin look-alikes (Cyrillic and Greek letters).
2. **Invisible characters** are dropped: zero-width spaces and joiners, bidi controls, soft hyphen, variation
   selectors, every other ``Cf`` format character.
3. **Separators inserted between characters** are dropped when they stand between two Han characters
   (``法 轮-功``) or between two single letters or digits (``f.u.c.k``). Separators are white space, the
   evasion punctuation in :data:`SEPARATORS`, and symbols such as emoji. Clause punctuation (，。,;:!?) is kept,
   so that words from two clauses do not run together.
4. **Repeats**: a run of the same Han character collapses to one (``法法轮轮功``). Latin letters are left alone,
   because English words have legitimate double letters (``ass`` must not become ``as``).

Keywords go through the same function, so a keyword and the text it should match meet in the same form.
Limitations (documented in docs/screen.md): one-to-many NFKC expansions (``㈱``, ``ﬁ``) are left as they are;
OpenCC is applied per character, so phrase-level conversions (``乾隆`` stays ``乾隆`` in OpenCC, but a
per-character ``乾``→``干`` applies to text and keywords alike) cannot cause a miss, only a rare extra hit;
pinyin and homophone substitutions (``fa轮功``) are not folded.
"""

from __future__ import annotations

import codecs
import sys
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hegui.errors import UsageError

MAX_CODEPOINT = 0x110000

SEPARATORS = " \t\r\n\f\v\u00a0\u3000.·•・‧∙⋅*-_~～|/\\+#@^=`'\"‘’“”()[]{}<>「」『』【】〈〉《》…—–-"
"""Characters dropped when they stand between two Han characters or two single letters (after folding)."""

# Latin look-alikes that NFKC leaves alone. Cyrillic and Greek letters that render like Latin ones.
HOMOGLYPHS: dict[str, str] = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "ɑ": "a", "ɡ": "g", "ı": "i", "ȷ": "j",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class NormalizeOptions:
    """Which steps run. The defaults are what the matcher and the evasion suite use."""

    fold: bool = True
    traditional: bool = True
    homoglyphs: bool = True
    drop_invisible: bool = True
    drop_separators: bool = True
    collapse_repeats: bool = True


DEFAULT_OPTIONS = NormalizeOptions()


class Normalized:
    """Normalised text plus a sparse map back to the original.

    The normalised text is kept as 16-bit units (one per original code point that survives; code points above
    U+FFFF that do not fold into the BMP are squashed into the private-use area, see :func:`squash`), so that
    :attr:`text` has no surrogates and a position in it is a position in ``units``. ``dropped`` holds the original positions removed (invisibles,
    separators, repeats), ``repeat_pos``/``repeat_owner`` the repeats and the kept character each was merged
    into. Both are tiny for ordinary text, so the map costs nothing until a hit asks for its span.
    """

    __slots__ = ("_text", "base", "dropped", "original_length", "repeat_owner", "repeat_pos", "units")

    def __init__(
        self,
        units: NDArray[np.uint16],
        dropped: NDArray[np.int64],
        repeat_pos: NDArray[np.int64],
        repeat_owner: NDArray[np.int64],
        original_length: int,
        base: int = 0,
    ) -> None:
        self.units = units
        self.dropped = dropped
        self.repeat_pos = repeat_pos
        self.repeat_owner = repeat_owner
        self.original_length = original_length
        self.base = base
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The normalised text as a Python string (built on first use)."""
        if self._text is None:
            # Decoded straight from the array's buffer (no intermediate bytes copy).
            self._text = codecs.utf_16_le_decode(self.units.astype("<u2", copy=False).data, "surrogatepass")[
                0
            ]
        return self._text

    def __len__(self) -> int:
        return int(self.units.size)

    def original_index(self, index: int | NDArray[np.int64]) -> NDArray[np.int64]:
        """Original position(s) of normalised position(s) ``index`` (relative to this text, without ``base``)."""
        j = np.asarray(index, dtype=np.int64)
        if self.dropped.size == 0:
            return j
        # The k-th dropped position sits after (dropped[k] - k) kept characters.
        before = self.dropped - np.arange(self.dropped.size, dtype=np.int64)
        return j + np.searchsorted(before, j, side="right")

    def spans(
        self, starts: NDArray[np.int64], ends: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Vectorised :meth:`span`: original ``[start, end)`` arrays for normalised ``[start, end)`` arrays."""
        o_start = self.original_index(starts)
        last = self.original_index(np.asarray(ends, dtype=np.int64) - 1)
        o_end = last + 1
        if self.repeat_owner.size:
            # Extend the end over the repeats merged into the last character (法轮功功功 -> all of it).
            hi = np.searchsorted(self.repeat_owner, last, side="right")
            lo = np.searchsorted(self.repeat_owner, last, side="left")
            has = hi > lo
            o_end = np.where(has, self.repeat_pos[np.clip(hi - 1, 0, None)] + 1, o_end)
        return o_start + self.base, o_end + self.base

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the normalised slice ``[start, end)``."""
        if not 0 <= start < end <= len(self):
            raise UsageError(f"span [{start}, {end}) is outside the normalised text of length {len(self)}")
        s, e = self.spans(np.array([start]), np.array([end]))
        return int(s[0]), int(e[0])


class _Tables:
    """Lookup tables over every code point, built once per option set (about 0.5 s, 10 MB)."""

    def __init__(self, options: NormalizeOptions) -> None:
        fold = np.arange(MAX_CODEPOINT, dtype=np.uint32)
        if options.fold:
            for cp in _assigned():
                ch = chr(cp)
                if cp < 0x80:
                    low = ch.lower()
                    fold[cp] = ord(low)
                    continue
                out = unicodedata.normalize("NFKC", ch).lower()
                if len(out) == 1 and out != ch:
                    fold[cp] = ord(out)
        if options.homoglyphs:
            for src, dst in HOMOGLYPHS.items():
                fold[ord(src)] = ord(dst)
                upper = src.upper()
                if len(upper) == 1:
                    fold[ord(upper)] = ord(dst)
        if options.traditional:
            self._apply_t2s(fold)
        # Fold again so that chains (upper-case Cyrillic -> lower-case Cyrillic -> Latin) end at one fixed point.
        fold = fold[fold]
        self.fold = fold
        invisible = np.zeros(MAX_CODEPOINT, dtype=bool)
        separator = np.zeros(MAX_CODEPOINT, dtype=bool)
        han = np.zeros(MAX_CODEPOINT, dtype=bool)
        alnum = np.zeros(MAX_CODEPOINT, dtype=bool)
        for cp in _assigned():
            cat = unicodedata.category(chr(cp))
            if cat == "Cf" or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
                invisible[cp] = True
            elif cat in ("So", "Sk", "Sm", "Zs", "Zl", "Zp") or cat == "Cc":
                separator[cp] = True
            elif cat == "Lo" and _is_han(cp):
                han[cp] = True
            elif cat[0] in "LN":
                alnum[cp] = True
        for ch in SEPARATORS:
            separator[ord(ch)] = True
        invisible[0xAD] = True  # soft hyphen
        separator[invisible] = False
        self.invisible = invisible if options.drop_invisible else np.zeros(MAX_CODEPOINT, dtype=bool)
        self.separator = separator if options.drop_separators else np.zeros(MAX_CODEPOINT, dtype=bool)
        self.han = han
        self.alnum = alnum
        folded16 = squash(fold).astype(np.uint32)
        folded16[self.invisible] = 0xFFFF
        packed = folded16.copy()
        packed[self.invisible | self.separator | self.separator[fold]] |= _GAP
        packed[han[fold]] |= _HAN
        packed[alnum[fold]] |= _LONE_OK
        packed[self.invisible] |= _INVISIBLE
        self.packed_full = packed
        # Han flag by folded (16-bit) value: whether a kept character may collapse with its repeat.
        self.han_value = np.ascontiguousarray(han[:0x10000])
        self.packed_bmp = np.ascontiguousarray(packed[:0x10000])
        # The same split in two for the fast path: folded values, and the flags as 4-bit classes (8 gap, 4 Han,
        # 2 letter/digit, 1 invisible). Two narrow lookups cost less than one wide one and the unpacking after it.
        self.fold_full = packed.astype(np.uint16)
        self.cls_full = (packed >> 28).astype(np.uint8)
        self.fold_bmp = np.ascontiguousarray(self.fold_full[:0x10000])
        self.cls_bmp = np.ascontiguousarray(self.cls_full[:0x10000])

    @staticmethod
    def _apply_t2s(fold: NDArray[np.uint32]) -> None:
        import opencc

        converter = opencc.OpenCC("t2s")
        cps = [cp for block in _HAN_BLOCKS for cp in range(block[0], block[1] + 1)]
        source = "\n".join(chr(cp) for cp in cps)
        converted = converter.convert(source).split("\n")
        if len(converted) != len(cps):  # pragma: no cover - OpenCC changed its line handling
            raise UsageError(
                "OpenCC returned a different number of lines; traditional folding is unavailable"
            )
        for cp, out in zip(cps, converted, strict=True):
            if len(out) == 1 and ord(out) != cp:
                fold[cp] = ord(out)


def _assigned() -> range | list[int]:
    """Code points worth a table entry: planes 0-3 and the tag / variation-selector block of plane 14."""
    return [*range(0xD800), *range(0xE000, 0x32400), *range(0xE0000, 0xE01F0)]


_HAN_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF))


def _is_han(cp: int) -> bool:
    return (
        any(lo <= cp <= hi for lo, hi in _HAN_BLOCKS) or 0x2A700 <= cp <= 0x2EBEF or 0x30000 <= cp <= 0x3134F
    )


_TABLES: dict[NormalizeOptions, _Tables] = {}
_LOCK = threading.Lock()


def tables(options: NormalizeOptions = DEFAULT_OPTIONS) -> _Tables:
    """The shared lookup tables for ``options``; built on first use."""
    with _LOCK:
        found = _TABLES.get(options)
        if found is None:
            found = _TABLES[options] = _Tables(options)
        return found


PUA_BASE = 0xE000
PUA_SIZE = 0x1900


def squash(cps: NDArray[np.uint32]) -> NDArray[np.uint16]:
    """Fit code points into 16 bits: above U+FFFF and lone surrogates go to the private-use area.

    The mapping is many-to-one, but it is applied to keywords and text alike, so it can only add a hit on a
    rare character that collides (Extension B ideographs, emoji are separators anyway), never lose one.
    """
    wide = (cps > 0xFFFF) | ((cps >= 0xD800) & (cps <= 0xDFFF))
    if wide.any():
        cps = np.where(wide, PUA_BASE + (cps % PUA_SIZE), cps)
    return cps.astype(np.uint16)


def to_units(text: str) -> tuple[NDArray[np.uint16] | NDArray[np.uint32], bool]:
    """Code units of ``text``: UTF-16 when it has no surrogate pairs (fast path), else code points."""
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    if units.size == len(text):
        # No surrogate pairs. A lone surrogate is one unit, and the BMP table maps it as the full table does.
        return units, True
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), False


_GAP = np.uint32(1 << 31)
_HAN = np.uint32(1 << 30)
_LONE_OK = np.uint32(1 << 29)  # letter or digit
_INVISIBLE = np.uint32(1 << 28)
_VALUE = np.uint32(0xFFFF)
_LITTLE_ENDIAN = sys.byteorder == "little"
MAX_FAST_RUN = 64
"""Longest run of separators the fast drop path follows; a longer one sends the text through the general path."""


def normalize(text: str, options: NormalizeOptions = DEFAULT_OPTIONS) -> Normalized:
    """Normalise ``text`` and return it with the offset map; see the module docstring for the steps."""
    n = len(text)
    if n == 0:
        return Normalized(np.zeros(0, dtype=np.uint16), _EMPTY, _EMPTY, _EMPTY, 0)
    t = tables(options)
    units, fast = to_units(text)
    folded, cls = _lookup(units, t, fast)
    drop = _droppable_fast(cls, options, lambda: np.take(t.packed_bmp if fast else t.packed_full, units))
    rep_orig = _repeats(folded, drop, t.han_value) if options.collapse_repeats else _EMPTY
    if rep_orig.size == 0:
        return Normalized(np.delete(folded, drop) if drop.size else folded, drop, _EMPTY, _EMPTY, n)
    # The same repeats in the coordinates of the text without ``drop``; the owner of each is the character just
    # before its run of repeats.
    rep = rep_orig - np.searchsorted(drop, rep_orig) if drop.size else rep_orig
    run_start = np.ones(rep.size, dtype=bool)
    run_start[1:] = rep[1:] != rep[:-1] + 1
    owner = np.maximum.accumulate(np.where(run_start, rep, 0)) - 1
    # Drops and repeats are disjoint (a repeat is a kept character), so a sort suffices.
    all_drop = np.sort(np.concatenate((drop, rep_orig))) if drop.size else rep_orig
    return Normalized(np.delete(folded, all_drop), all_drop, rep_orig, _position_map(drop)(owner), n)


def _repeats(
    folded: NDArray[np.uint16], drop: NDArray[np.int64], han_value: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Original positions of the Han characters equal to the kept character before them (``drop`` removed).

    Computed on the text before the drop, so that it is copied once (one ``np.delete`` for drops and repeats
    together): a kept character compares with its left neighbour, except right after dropped characters, where it
    compares with the kept character before them (``法 法`` is a repeat).
    """
    n = folded.size
    if n < 2:
        return _EMPTY
    same = np.flatnonzero(folded[1:] == folded[:-1]) + 1
    if drop.size:
        # Leave out the characters that are dropped or whose left neighbour is (``drop`` is sorted and small, so
        # membership is a binary search rather than np.isin, whose set-up costs more than the search).
        at = np.searchsorted(drop, same)
        dropped = drop[np.minimum(at, drop.size - 1)] == same
        after_drop = (at > 0) & (drop[np.maximum(at - 1, 0)] == same - 1)
        same = same[~(dropped | after_drop)]
        # The character right after each run of dropped ones compares with the kept one just before the run.
        run_first = np.ones(drop.size, dtype=bool)
        run_first[1:] = drop[1:] != drop[:-1] + 1
        run_last = np.ones(drop.size, dtype=bool)
        run_last[:-1] = run_first[1:]
        before, after = drop[run_first] - 1, drop[run_last] + 1
        ok = (before >= 0) & (after < n)
        before, after = before[ok], after[ok]
        same = np.sort(np.concatenate((same, after[folded[after] == folded[before]])))
    return same[han_value[folded[same]]] if same.size else _EMPTY


def _lookup(
    units: NDArray[np.uint16] | NDArray[np.uint32], t: _Tables, fast: bool
) -> tuple[NDArray[np.uint16], NDArray[np.uint8]]:
    """Folded values, and the 4-bit classes padded with two zeros each side.

    The padding stands for "no character": not a gap, not Han, not a letter, exactly how the general path treats
    the text's edges, so the window tests need no special case there. np.take (indices converted once, no bounds
    check: every unit is inside its table) is about twice as fast as fancy indexing.
    """
    idx = units.astype(np.intp)
    folded = np.take(t.fold_bmp if fast else t.fold_full, idx, mode="clip")
    cls = np.zeros(units.size + 4, dtype=np.uint8)
    np.take(t.cls_bmp if fast else t.cls_full, idx, out=cls[2:-2], mode="clip")
    return folded, cls


def _droppable_fast(
    cls: NDArray[np.uint8], options: NormalizeOptions, packed: Callable[[], NDArray[np.uint32]]
) -> NDArray[np.int64]:
    """The positions :func:`_droppable` drops, found without listing every gap.

    Ordinary text has many gaps (every space between two English words) but almost none that go: a run of
    separators goes only after a Han character or a lone letter or digit. So a few whole-text 8-bit passes
    mark the runs that start after such a character, those few runs are followed one step at a time and judged
    by the general run logic (:func:`_separator_drops`), and invisibles are added. Where a candidate run is longer
    than :data:`MAX_FAST_RUN` (hostile input), the general path decides instead. Tests hold both paths equal.
    """
    gap = cls >= 8
    if not gap.any():
        return _EMPTY
    inv = _EMPTY
    if options.drop_invisible:
        # 0 or 1: a valid boolean view, and flatnonzero is much faster on booleans than on bytes.
        invisible = (cls[2:-2] & 1).view(np.bool_)
        if invisible.any():
            inv = np.flatnonzero(invisible)
    if not options.drop_separators:
        return inv
    alnum = (cls & 2) != 0
    han_before = (cls[1:-3] & 4) != 0
    lone_before = alnum[1:-3] & ~alnum[:-4]
    starts = np.flatnonzero(gap[2:-2] & ~gap[1:-3] & (han_before | lone_before))
    if starts.size == 0:
        return inv
    parts = [starts]
    cur = starts
    for _ in range(MAX_FAST_RUN):
        cur = cur + 1
        cur = cur[gap[cur + 2]]  # the padding ends every run inside the array
        if cur.size == 0:
            break
        parts.append(cur)
    else:
        return _droppable_general(packed(), options)
    seps = np.concatenate(parts) if len(parts) > 1 else starts
    seps.sort()
    joined = seps[_run_drops(cls, seps)]
    if joined.size == 0:
        return inv
    return np.union1d(inv, joined) if inv.size else joined


def _run_drops(cls: NDArray[np.uint8], seps: NDArray[np.int64]) -> NDArray[np.bool_]:
    """:func:`_separator_drops` over the padded classes: ``seps`` holds whole runs of gaps (sorted)."""
    new_run = np.ones(seps.size, dtype=bool)
    new_run[1:] = seps[1:] != seps[:-1] + 1
    run_id = np.cumsum(new_run) - 1
    before = seps[new_run] + 1  # padded index of the character before the run (its start - 1, plus 2)
    after = seps[np.append(new_run[1:], True)] + 3  # padded index of the character after the run
    pf = cls[before]
    nf = cls[after]
    join = (pf & nf & 4) != 0  # Han on both sides
    lone_p = ((pf & 2) != 0) & ((cls[before - 1] & 2) == 0)
    lone_n = ((nf & 2) != 0) & ((cls[after + 1] & 2) == 0)
    join |= lone_p & lone_n
    return join[run_id]


def _position_map(drop: NDArray[np.int64]) -> Callable[[NDArray[np.int64]], NDArray[np.int64]]:
    """Map positions in the text with ``drop`` removed back to positions in the original."""
    before = drop - np.arange(drop.size, dtype=np.int64)

    def to_orig(j: NDArray[np.int64]) -> NDArray[np.int64]:
        return j + np.searchsorted(before, j, side="right")

    return to_orig


_EMPTY = np.zeros(0, dtype=np.int64)


def _droppable_general(packed: NDArray[np.uint32], options: NormalizeOptions) -> NDArray[np.int64]:
    """Positions to drop, decided over every gap (the reference the fast path is tested against)."""
    cls = (packed >> 29).astype(np.uint8)  # bit 2 gap, bit 1 Han, bit 0 letter/digit
    gaps = np.flatnonzero(cls >= 4)
    return _droppable(packed, cls, gaps, options) if gaps.size else _EMPTY


def _droppable(
    packed: NDArray[np.uint32], cls: NDArray[np.uint8], gaps: NDArray[np.int64], options: NormalizeOptions
) -> NDArray[np.int64]:
    """Positions to drop: invisibles always, separators only between two Han characters or two lone letters.

    Invisibles count as gaps when judging whether a letter is lone, so ``p o r\u200bn`` folds to ``porn``.
    The price: in ``k\u200bi\u200bl\u200bl y\u200bo\u200bu`` the space goes too; the matcher therefore also
    registers the separator-free form of multi-word keywords (``killyou``).
    """
    n = packed.size
    invisible = (packed[gaps] & _VALUE) == 0xFFFF  # invisibles fold to U+FFFF, see _Tables
    if not options.drop_invisible:
        invisible[:] = False
    if not options.drop_separators:
        return gaps[invisible]
    if n < 5:
        return gaps[invisible | _separator_drops(packed, gaps)]
    # The common case is a single gap between two solid characters (a space between two English words). Decide
    # those with contiguous 8-bit slices over a 5-character window (bit 2 gap, bit 1 Han, bit 0 letter/digit);
    # contiguous slices cost far less than gathering neighbours by index. Longer runs use the run logic.
    p2, p1, c, n1, n2 = cls[:-4], cls[1:-3], cls[2:-2], cls[3:-1], cls[4:]
    single = (c & 4).astype(bool) & ~((p1 | n1) & 4).astype(bool)
    han = (p1 & n1 & 2).astype(bool)
    lone = (p1 & n1 & 1).astype(bool) & ~((p2 | n2) & 1).astype(bool)
    join = np.zeros(n, dtype=bool)
    join[2:-2] = single & (han | lone)
    # Edges (first and last two characters) and runs longer than one go through the general logic.
    in_run = np.ones(gaps.size, dtype=bool)
    mid = (gaps >= 2) & (gaps < n - 2)
    in_run[mid] = ~single[gaps[mid] - 2]
    drop = invisible | join[gaps]
    run_idx = np.flatnonzero(in_run)
    if run_idx.size:
        drop[run_idx] |= _separator_drops(packed, gaps[run_idx])
    return gaps[drop]


def _separator_drops(packed: NDArray[np.uint32], seps: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which of the gap positions ``seps`` sit between two Han characters or two lone letters."""
    n = packed.size
    # Runs of consecutive separators; the solid characters around a run decide whether it goes.
    new_run = np.ones(seps.size, dtype=bool)
    new_run[1:] = seps[1:] != seps[:-1] + 1
    run_id = np.cumsum(new_run) - 1
    prev_solid = seps[new_run] - 1
    next_solid = seps[np.append(new_run[1:], True)] + 1
    ok = (prev_solid >= 0) & (next_solid < n)
    pi = np.clip(prev_solid, 0, n - 1)
    ni = np.clip(next_solid, 0, n - 1)
    pf = packed[pi]
    nf = packed[ni]
    join = ((pf & _HAN) != 0) & ((nf & _HAN) != 0)
    # A "lone" letter or digit has no letter or digit right next to it (f.u.c.k, but not "in a word").
    before_p = np.where(pi > 0, packed[np.clip(pi - 1, 0, n - 1)], 0)
    after_n = np.where(ni < n - 1, packed[np.clip(ni + 1, 0, n - 1)], 0)
    lone_p = ((pf & _LONE_OK) != 0) & ((before_p & _LONE_OK) == 0)
    lone_n = ((nf & _LONE_OK) != 0) & ((after_n & _LONE_OK) == 0)
    join |= lone_p & lone_n
    join &= ok
    return join[run_id]


def normalize_keyword(keyword: str, options: NormalizeOptions = DEFAULT_OPTIONS) -> str:
    """The form a keyword takes in the automaton: the same steps as the text, edge separators stripped."""
    return normalize(keyword.strip(" \t\r\n\u3000"), options).text.strip(SEPARATORS)
