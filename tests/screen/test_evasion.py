"""Evasion suite: every transform the normaliser claims, applied to every keyword of a test lexicon.

The test lexicon is the demo lexicon plus 400 generated keywords (Han 2-5 characters and Latin words), each
embedded in ordinary text. A keyword counts as found only if a hit carries it with the exact original span.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import opencc
import pytest

from hegui.screen.lexicon import Lexicon, make_entry
from hegui.screen.matcher import Matcher

COMMON = "国家人民政府经济发展社会主义文化教育科学技术网络安全信息数据平台服务用户内容管理市场企业交易银行"
LATIN = ["attack", "bomber", "scam", "phish", "cocaine", "heroin", "exploit", "malware", "fraud", "ransom"]
_t2s = opencc.OpenCC("s2t")
_CYR = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у"}
_BOLD = {chr(ord("a") + i): chr(0x1D41A + i) for i in range(26)}


def _lexicon() -> Lexicon:
    rng = random.Random(7)
    kws: set[str] = set()
    while len(kws) < 360:
        kws.add("".join(rng.choice(COMMON) for _ in range(rng.randint(2, 5))))
    entries = [make_entry(k, ["A.1.h"]) for k in sorted(kws)]
    entries += [make_entry(w + s, ["A.1.h"]) for w in LATIN for s in ("", "kit", "team", "ware")]
    from hegui.screen.lexicon import load_demo

    return Lexicon([*load_demo().entries, *entries], name="evasion-test")


def _between(sep: Callable[[random.Random], str]) -> Callable[[str, random.Random], str]:
    def apply(kw: str, rng: random.Random) -> str:
        return kw[0] + "".join(sep(rng) + ch for ch in kw[1:])

    return apply


def _latin_only(fn: Callable[[str], str]) -> Callable[[str, random.Random], str]:
    return lambda kw, rng: fn(kw)


TRANSFORMS: dict[str, Callable[[str, random.Random], str]] = {
    "plain": lambda kw, rng: kw,
    "full_width": lambda kw, rng: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in kw),
    "upper_case": lambda kw, rng: kw.upper(),
    "traditional": lambda kw, rng: _t2s.convert(kw),
    "zero_width": _between(lambda rng: rng.choice(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])),
    "spaces": _between(lambda rng: " " * rng.randint(1, 3)),
    "punctuation": _between(lambda rng: rng.choice([".", "-", "_", "*", "·", "/", "|", "~"])),
    "emoji": _between(lambda rng: rng.choice(["😀", "🔥", "★", "♥"])),
    "repeats": lambda kw, rng: "".join(
        c * (rng.randint(2, 3) if "\u4e00" <= c <= "\u9fff" else 1) for c in kw
    ),
    "homoglyph": lambda kw, rng: "".join(_CYR.get(c, c) for c in kw),
    "math_bold": lambda kw, rng: "".join(_BOLD.get(c, c) for c in kw),
    "combined": lambda kw, rng: _between(lambda r: r.choice(["\u200b", " ", "."]))(
        "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in _t2s.convert(kw)), rng
    ),
}

CONTEXTS = [("请注意：", "。谢谢"), ("Note: ", " — end."), ("他说「", "」然后走了"), ("", "")]


@pytest.fixture(scope="module", params=["ahocorasick", "hyperscan"])
def suite(request: pytest.FixtureRequest) -> tuple[Lexicon, Matcher]:
    lex = _lexicon()
    return lex, Matcher(lex, engine=request.param)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_recall_with_original_span(name: str, suite: tuple[Lexicon, Matcher]) -> None:
    lex, matcher = suite
    rng = random.Random(name)
    transform = TRANSFORMS[name]
    tried = found = 0
    misses = []
    for entry in lex.entries:
        if entry.mode == "exact":
            continue
        evasive = transform(entry.keyword, rng)
        before, after = rng.choice(CONTEXTS)
        text = before + evasive + after
        start, end = len(before), len(before) + len(evasive)
        tried += 1
        if any(h.keyword == entry.keyword and (h.start, h.end) == (start, end) for h in matcher.find(text)):
            found += 1
        else:
            misses.append(evasive)
    recall = found / tried
    assert recall >= 0.99, f"{name}: recall {recall:.3f}, misses {misses[:10]}"


def test_evasion_in_stream_across_every_boundary(suite: tuple[Lexicon, Matcher]) -> None:
    _, matcher = suite
    text = "前言。" + "制\u200b造 炸 彈" + "，以及 ＰＯＲＮ 和 e.x.p.l.o.i.t。"
    expected = [(h.start, h.end, h.keyword) for h in matcher.find(text)]
    assert len(expected) >= 3
    for cut in range(1, len(text)):
        stream = matcher.stream()
        got = stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.close()
        assert sorted((h.start, h.end, h.keyword) for h in got) == sorted(expected), cut
