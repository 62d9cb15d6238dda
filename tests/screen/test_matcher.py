from __future__ import annotations

import io
import random
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError, LimitExceededError
from hegui.screen.lexicon import Lexicon, make_entry
from hegui.screen.matcher import Matcher, char_offsets, hyperscan_available
from hegui.screen.normalize import normalize


def test_hits_carry_span_keyword_and_risks(demo_matcher: Matcher) -> None:
    text = "他想 制 造 炸 彈，还说要看色情視頻。"
    hits = demo_matcher.find(text)
    by_kw = {h.keyword: h for h in hits}
    assert text[by_kw["制造炸弹"].start : by_kw["制造炸弹"].end] == "制 造 炸 彈"
    assert by_kw["制造炸弹"].risks == ("A.1.d",)
    assert by_kw["色情视频"].matched == "色情視頻"


def test_allow_context_and_word_mode(demo_matcher: Matcher) -> None:
    assert [h.keyword for h in demo_matcher.find("我们要禁止赌博。")] == []
    assert [h.keyword for h in demo_matcher.find("他沉迷赌博。")] == ["赌博"]
    assert [h.keyword for h in demo_matcher.find("just KILL YOURSELF now")] == ["kill yourself"]
    assert demo_matcher.find("skill yourselfish") == []


def test_exact_mode_does_not_normalise() -> None:
    m = Matcher([make_entry("ABC", ["A.1.h"], mode="exact")])
    assert [(h.start, h.end) for h in m.find("xABCx abc ＡＢＣ")] == [(1, 4)]


def test_overlapping_hits_are_all_reported() -> None:
    m = Matcher([make_entry("网络赌博", ["A.1.h"]), make_entry("赌博", ["A.1.h"])])
    assert sorted(h.keyword for h in m.find("网络赌博")) == ["网络赌博", "赌博"]


def test_hyperscan_agrees_with_ahocorasick(demo_lexicon: Lexicon) -> None:
    assert hyperscan_available()  # part of the test extra
    text = "制造炸弹 色情視頻 網絡賭博 ｐｏｒｎ 禁止赌博 " * 50
    a = Matcher(demo_lexicon).find(text)
    b = Matcher(demo_lexicon, engine="hyperscan").find(text)
    assert a == b and len(a) > 100


_kw = ["甲乙丙", "乙丙丁", "abc", "ab", "bca", "丙丁"]


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("甲乙丙丁 .\u200babc，")), max_size=80),
    st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=20),
)
@example(
    "丙丁.丁", [1]
)  # a separator at the end of a chunk, then a repeat that extends the hit (found by CI)
@example("丙丁 \u200b .丁丁", [2, 1])
def test_stream_equals_one_shot(text: str, cuts: list[int]) -> None:
    entries = [make_entry(k, ["A.1.h"]) for k in _kw] + [make_entry("abc", ["A.1.h"], mode="word")]
    for engine in ("ahocorasick", "hyperscan"):
        _check_stream(Matcher(entries, engine=engine), text, cuts)


def _check_stream(m: Matcher, text: str, cuts: list[int]) -> None:
    stream = m.stream()
    got = []
    pos = 0
    for c in cuts * 10:
        got += stream.feed(text[pos : pos + c])
        pos += c
        if pos >= len(text):
            break
    got += stream.feed(text[pos:])
    got += stream.close()
    key = lambda h: (h.start, h.end, h.keyword, h.mode)  # noqa: E731
    assert sorted(got, key=key) == sorted(m.find(text), key=key)


def test_long_line_is_chunked_in_bounded_memory(demo_matcher: Matcher) -> None:
    rng = random.Random(3)
    unit = "".join(
        rng.choice("的一是了我不人在他有这个上们来到时大地为子中你说生国年着") for _ in range(1000)
    )
    text = (unit + "制造炸弹") * 3000  # 3 M characters on one line
    tracemalloc.start()
    hits = demo_matcher.find(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len([h for h in hits if h.keyword == "制造炸弹"]) == 3000
    assert hits[-1].end == len(text)
    assert peak < 200 * 2**20  # the 3 M-character text itself is ~9 MB as UCS-2; chunks keep the rest small


def test_file_scan_reports_offsets_and_refuses_garbage(tmp_path: Path, demo_matcher: Matcher) -> None:
    p = tmp_path / "t.txt"
    p.write_text("前文" * 10 + "恐怖袭击", encoding="utf-8")
    hits = list(demo_matcher.scan_file(p))
    assert [(h.start, h.end) for h in hits] == [(20, 24)]
    garbage = tmp_path / "g.bin"
    rng = random.Random(1)
    garbage.write_bytes(bytes(rng.randrange(256) for _ in range(5000)))
    with pytest.raises(InputError) as info:
        list(demo_matcher.scan_file(garbage))
    assert info.value.offset is not None
    assert list(demo_matcher.scan_binary(io.BytesIO(b"\xff\xfe\x00abc"), errors="replace")) == []
    bad_utf8 = io.BytesIO("正文".encode() + b"\xff\xfe" + "恐怖袭击".encode())
    with pytest.raises(InputError, match="UTF-8") as info:
        list(demo_matcher.scan_binary(bad_utf8))
    assert info.value.offset == 6
    replaced = list(demo_matcher.scan_binary(io.BytesIO(bad_utf8.getvalue()), errors="replace"))
    assert [h.keyword for h in replaced] == ["恐怖袭击"]


def test_degenerate_input_is_refused() -> None:
    m = Matcher([make_entry("ab", ["A.1.h"])])
    with pytest.raises(LimitExceededError):
        m.find("ab " * 2000, max_hits=1000)


class _Endless(io.RawIOBase):
    """A file of ``size`` bytes on one line, made on the fly: a keyword every ``unit`` bytes."""

    def __init__(self, unit: bytes, size: int) -> None:
        self.unit = unit
        self.left = size
        self.pos = 0  # offset into ``unit`` where the next read starts

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray | memoryview) -> int:
        n = min(len(buf), self.left)
        reps = self.unit * ((self.pos + n) // len(self.unit) + 1)
        buf[:n] = reps[self.pos : self.pos + n]
        self.pos = (self.pos + n) % len(self.unit)
        self.left -= n
        return n


def test_64_mb_single_line_streams_in_bounded_memory(demo_matcher: Matcher) -> None:
    rng = random.Random(5)
    filler = "".join(
        rng.choice("的一是了我不人在他有这个上们来到时大地为子中你说生国年着 and the model ")
        for _ in range(20_000)
    )
    unit = (filler + "制造炸弹").encode("utf-8")  # about 50 KB, no newline anywhere
    size = (64 * 2**20 // len(unit)) * len(unit)
    tracemalloc.start()
    hits = sum(
        1
        for h in demo_matcher.scan_binary(io.BufferedReader(_Endless(unit, size)))
        if h.keyword == "制造炸弹"
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert hits == size // len(unit)
    assert peak < 60 * 2**20  # independent of the input size: the input is 64 MiB


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_unicode_text_gives_hits_inside_the_text(text: str) -> None:
    m = Matcher([make_entry(k, ["A.1.h"]) for k in _kw])
    for h in m.find(text):
        assert 0 <= h.start < h.end <= len(text) and text[h.start : h.end] == h.matched


def test_find_from_many_threads(demo_lexicon: Lexicon) -> None:
    from concurrent.futures import ThreadPoolExecutor

    m = Matcher(demo_lexicon)  # auto: hyperscan here, with one scratch space per thread
    assert m.engine == "hyperscan"
    texts = [f"第{i}条：制造炸弹，網絡賭博。" * 20 for i in range(40)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(m.find, texts))
    assert all(len(r) == 60 for r in results)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab法轮é\u0800😀\x00 ")), max_size=400),
    st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=12),
)
def test_char_offsets_convert_utf8_byte_offsets(text: str, fractions: list[float]) -> None:
    data = text.encode("utf-8")
    byte_at = [0]
    for ch in text:
        byte_at.append(byte_at[-1] + len(ch.encode("utf-8")))
    chars = np.array([round(f * len(text)) for f in fractions], dtype=np.int64)
    starts = np.array([byte_at[c] for c in chars], dtype=np.int64)
    ends = np.array([byte_at[len(text) - c] for c in chars], dtype=np.int64)
    got_starts, got_ends = char_offsets(data, starts, ends)
    assert got_starts.dtype == np.int64 and got_ends.dtype == np.int64
    assert got_starts.tolist() == chars.tolist()
    assert got_ends.tolist() == (len(text) - chars).tolist()


_ref_keywords = ["法轮功", "轮功", "轮", "abc", "bc", "b", "發財", "x y", "功法"]
_ref_matchers = {
    engine: Matcher([make_entry(k, ["A.1.h"]) for k in _ref_keywords], engine=engine)
    for engine in ("ahocorasick", "hyperscan")
}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("法轮功發财財abcxyAB .-\u200b😀，é")), max_size=120))
def test_find_equals_brute_force_on_the_normalised_text(text: str) -> None:
    # Every occurrence of every keyword form in the normalised text, found with str.find, mapped back by the
    # offset map: what the UTF-8 scan, the byte-to-character conversion and the ordering must reproduce exactly.
    norm = normalize(text)
    expected = set()
    for entry in _ref_matchers["ahocorasick"].entries:
        for form in dict.fromkeys((entry.key, entry.key.replace(" ", ""))):
            at = norm.text.find(form)
            while at != -1:
                s, e = norm.span(at, at + len(form))
                expected.add((s, e, entry.keyword, text[s:e]))
                at = norm.text.find(form, at + 1)
    for m in _ref_matchers.values():
        hits = m.find(text)
        assert {(h.start, h.end, h.keyword, h.matched) for h in hits} == expected
        assert hits == sorted(hits, key=lambda h: (h.start, h.end, h.keyword))
