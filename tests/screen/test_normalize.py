"""Normaliser: each claimed transform, and property tests for the offset map."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.screen.normalize import (
    MAX_FAST_RUN,
    NormalizeOptions,
    _droppable_fast,
    _droppable_general,
    _lookup,
    normalize,
    normalize_keyword,
    tables,
    to_units,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＦＵＣＫ", "fuck"),  # full width + case
        ("發財", "发财"),  # traditional
        ("法\u200b轮\u200d功", "法轮功"),  # zero-width
        ("法 轮 功", "法轮功"),  # spaces between Han
        ("法-轮_功", "法轮功"),
        ("法😀轮功", "法轮功"),  # emoji as separator
        ("法法法轮轮功", "法轮功"),  # repeats
        ("f.u.c.k", "fuck"),  # separators between lone letters
        ("Fаlun", "falun"),  # Cyrillic а
        ("𝐟𝐮𝐜𝐤", "fuck"),  # mathematical bold (astral plane)
        ("⼈民", "人民"),  # Kangxi radical
        ("I am a boy", "i am a boy"),  # ordinary spaces between words stay
        ("class", "class"),  # Latin doubles stay
        ("我们，他们", "我们,他们"),  # clause punctuation stays
    ],
)
def test_transforms(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


def test_span_covers_separators_and_repeats() -> None:
    n = normalize("说法 法-轮轮功！")
    assert n.text == "说法轮功!"
    assert n.span(1, 4) == (1, 8)  # 法 法-轮轮功 -> the whole evasion


def test_options_switch_steps_off() -> None:
    opts = NormalizeOptions(traditional=False, drop_separators=False, collapse_repeats=False)
    assert normalize("發 發", opts).text == "發 發"


def test_keyword_strips_edges() -> None:
    assert normalize_keyword("  -法轮功- ") == "法轮功"


def _reference(text: str) -> tuple[str, list[int]]:
    n = normalize(text)
    starts = [n.span(i, i + 1)[0] for i in range(len(n))]
    return n.text, starts


_alphabet = st.sampled_from([*list("法轮功發財abcXY 1.-\u200b\u200d😀，ＡＢ"), "𝐟", "а"])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_alphabet, max_size=60))
def test_offset_map_properties(text: str) -> None:
    n = normalize(text)
    assert len(n) <= len(text)
    if len(n) == 0:
        return
    starts, ends = n.spans(np.arange(len(n)), np.arange(1, len(n) + 1))
    # Monotone, inside the original, non-overlapping, and each kept character folds to the normalised one.
    assert (np.diff(starts) > 0).all()
    assert (starts < ends).all()
    assert ends[-1] <= len(text)
    assert (starts[1:] >= ends[:-1]).all()
    for i in range(len(n)):
        original = text[starts[i] : ends[i]]
        assert normalize(original).text == n.text[i] or normalize(original[0]).text == n.text[i]
    # A slice's span is the union of its characters' spans.
    assert n.span(0, len(n)) == (int(starts[0]), int(ends[-1]))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_unicode_normalises_without_error(text: str) -> None:
    n = normalize(text)
    assert normalize(n.text).text == n.text or len(normalize(n.text)) <= len(n)  # stable or shrinking


# The fast drop path (candidate runs only) against the general one (every gap), on text made of the characters
# the rules care about: Han, lone and word letters, digits, separators, invisibles, clause punctuation.
_drop_alphabet = st.sampled_from(
    [*list("法轮功發发a bXY1 .-_·\u200b\u200d\u3000，。😀ＡＢ\u00ad"), "𝐟", "а", "\ufe0f"]
)
_all_options = [
    NormalizeOptions(),
    NormalizeOptions(drop_invisible=False),
    NormalizeOptions(drop_separators=False),
    NormalizeOptions(collapse_repeats=False, fold=False),
]


def _drops_both_ways(text: str, options: NormalizeOptions) -> tuple[list[int], list[int]]:
    t = tables(options)
    units, fast = to_units(text)
    packed = (t.packed_bmp if fast else t.packed_full)[units]
    folded, cls = _lookup(units, t, fast)
    assert folded.tolist() == (packed & 0xFFFF).tolist()
    return (
        _droppable_fast(cls, options, lambda: packed).tolist(),
        _droppable_general(packed, options).tolist(),
    )


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(alphabet=_drop_alphabet, min_size=1, max_size=80), st.text(min_size=1, max_size=80)))
def test_fast_drops_equal_general_drops(text: str) -> None:
    for options in _all_options:
        fast, general = _drops_both_ways(text, options)
        assert fast == general


@pytest.mark.parametrize("sep", [" ", "\u200b", " \u200b-"])
def test_fast_drops_fall_back_on_long_runs(sep: str) -> None:
    long_run = sep * (MAX_FAST_RUN + 5)
    for text in (f"法{long_run}轮", f"a{long_run}b", f"法{long_run}轮 功 x y{long_run}", f"ab{long_run}cd"):
        fast, general = _drops_both_ways(text, NormalizeOptions())
        assert fast == general
    assert normalize(f"法{long_run}轮").text == "法轮"


def _reference_normalize(text: str, options: NormalizeOptions) -> tuple[str, list[int], list[int], list[int]]:
    """The straightforward normaliser: every gap judged, drops applied, then repeats found on what is left."""
    t = tables(options)
    units, fast = to_units(text)
    packed = (t.packed_bmp if fast else t.packed_full)[units]
    drop = _droppable_general(packed, options)
    vals = np.delete(packed.astype(np.uint16), drop)
    kept = np.delete(np.arange(len(text)), drop)
    rep = []
    if options.collapse_repeats:
        rep = [k for k in range(1, vals.size) if vals[k] == vals[k - 1] and t.han_value[vals[k]]]
    owner = []
    for k in rep:
        j = k - 1
        while j in rep:
            j -= 1
        owner.append(int(kept[j]))
    out = np.delete(vals, rep).tobytes().decode("utf-16-le", "surrogatepass")
    return out, sorted({*drop.tolist(), *kept[rep].tolist()}), kept[rep].tolist(), owner


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(alphabet=_drop_alphabet, min_size=1, max_size=80), st.text(min_size=1, max_size=40)))
def test_normalize_equals_reference(text: str) -> None:
    for options in _all_options:
        n = normalize(text, options)
        got = (n.text, n.dropped.tolist(), n.repeat_pos.tolist(), n.repeat_owner.tolist())
        assert got == _reference_normalize(text, options)
