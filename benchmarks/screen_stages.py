"""Where hegui's keyword path spends its time: each stage on one 1 Mi-character chunk of the benchmark text.

    python benchmarks/screen_stages.py [--keywords 10000] [--repeat 40]

Same lexicon and text generator as ``benchmarks/screen.py``; every stage is timed alone on the same chunk (best of
``--repeat``) and printed as a Markdown table (milliseconds, and MB/s of the chunk's UTF-8 size). The stages call
the module's internals, so this script follows their names; the one-chunk totals at the bottom go through the same
code as ``Matcher.find`` (without the stream that joins chunks).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

from hegui.screen import normalize as N
from hegui.screen.lexicon import Entry
from hegui.screen.matcher import CHUNK_CHARS, Matcher, char_offsets
from screen import make_lexicon, make_text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keywords", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    kws = make_lexicon(args.keywords, rng)
    chunk = make_text(kws, 4.0, rng)[:CHUNK_CHARS]
    mb = len(chunk.encode("utf-8")) / 1e6
    entries = [Entry(k, ("A.1.h",)) for k in kws]
    hs = Matcher(entries, engine="hyperscan")
    ac = Matcher(entries, engine="ahocorasick")
    t = N.tables()

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        result = fn()
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        print(f"| {name} | {best * 1e3:.2f} | {mb / best:,.0f} |")
        return result

    print(f"{len(kws)} keywords; chunk of {len(chunk):,} characters, {mb:.2f} MB UTF-8\n")
    print("| stage | ms | MB/s |\n|---|---:|---:|")
    units, fast = stage("original to UTF-16 units (`str.encode`)", lambda: N.to_units(chunk))
    folded, cls = stage("two table lookups (folded value, class)", lambda: N._lookup(units, t, fast))
    drop = stage(
        "separators and invisibles to drop", lambda: N._droppable_fast(cls, N.DEFAULT_OPTIONS, lambda: None)
    )
    stage("repeats", lambda: N._repeats(folded, drop, t.han_value))
    norm = stage("**normalise, all steps**", lambda: N.normalize(chunk))

    def decode() -> str:
        norm._text = None
        return norm.text

    text = stage("normalised units to `str` (decode)", decode)
    data = stage("`str` to UTF-8 (`str.encode`)", lambda: text.encode("utf-8"))
    _pid, ends = stage("hyperscan scan", lambda: hs._backend.scan(data) if hs._backend else None)
    stage("ahocorasick-rs DFA scan", lambda: ac._backend.scan(data) if ac._backend else None)
    stage("hit ends from bytes to characters", lambda: char_offsets(data, ends))

    def hits() -> Any:
        norm._text = None
        return hs._normalized_hits(chunk, norm, 0, len(chunk), 0, 10**6)

    found = stage("decode + encode + scan + offsets + hit tuples (hyperscan)", hits)
    stage("**hegui + hyperscan, one chunk**", lambda: hs._find_block(chunk, 0, len(chunk), 0))
    stage("**hegui + ahocorasick-rs, one chunk**", lambda: ac._find_block(chunk, 0, len(chunk), 0))
    print(f"\n{len(found):,} hits in the chunk")


if __name__ == "__main__":
    main()
