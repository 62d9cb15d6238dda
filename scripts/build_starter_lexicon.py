"""Build ``src/hegui/screen/data/starter_lexicon.json`` from openly licensed public keyword lists (dev only).

Usage: ``python scripts/build_starter_lexicon.py SENSITIVE_LEXICON_DIR --data DATA_DIR``

Sources (each entry's ``notes`` names its source list):

* konsheng/Sensitive-lexicon (github.com/konsheng/Sensitive-lexicon, commit 5a8da94, MIT licence,
  "Copyright (c) 2024~2099 Konsheng"). Only the lists whose topic maps onto one Appendix A risk as a whole are
  used (:data:`FILES`); the political-name, "民生", "补充", GFW, COVID, advertising and "other" lists mix topics
  (or are plain names of officials and everyday words) and are left out.
* hegui's demo lexicon (authored by the project, Apache-2.0), marked ``authored``.

Cleaning: entries are stripped, single characters and short Latin fragments dropped, Latin-script keywords
(English words, pinyin) set to match whole words only (:func:`_mode`), deduplicated after
normalisation (the lexicon's own rule), and every keyword that occurs in the project's benign texts
(everyday prompts, CValues, ChineseSafetyQA, CrossWOZ / KdConv sample, JADE's safe answers) is dropped, because
a keyword that fires on ordinary requests makes the keyword path useless. The counts are printed and recorded
in the file's description.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from hegui.screen import lexicon as L
from hegui.screen.matcher import Matcher

FILES: dict[str, tuple[str, ...]] = {
    "暴恐词库": ("A.1.d",),
    "涉枪涉爆": ("A.1.h",),
    "色情类型": ("A.1.f",),
    "色情词库": ("A.1.f",),
    "反动词库": ("A.1.a",),
    "贪腐词库": ("A.1.a",),
}
LATIN = re.compile(r"[A-Za-z0-9 .\-]+")
SOURCE = "konsheng/Sensitive-lexicon@5a8da94 (MIT)"


def _keep(word: str) -> bool:
    if len(word) < 2 or len(word) > L.MAX_KEYWORD_LENGTH:
        return False
    return not (re.fullmatch(r"[A-Za-z0-9 .]{1,3}", word) or re.fullmatch(r"[\d\W_]+", word))


def _mode(word: str) -> str:
    """Latin-script keywords (English words, pinyin) match whole words only: inside a longer word they are
    another word ("anal" in "analysis", "titor" in "competitor", "adult" in "adults"). Chinese has no word
    boundaries, so everything else matches anywhere in the normalised text."""
    return "word" if LATIN.fullmatch(word) else "normalized"


def source_entries(source: Path) -> tuple[list[L.Entry], int]:
    """The kept entries of the public lists (:data:`FILES`) plus the demo's, before the benign filter; and the
    number of source lines read."""
    entries: list[L.Entry] = []
    raw = 0
    for name, risks in FILES.items():
        for line in (source / "Vocabulary" / f"{name}.txt").read_text(encoding="utf-8").splitlines():
            word = line.strip()
            raw += 1
            if _keep(word):
                entries.append(L.make_entry(word, risks, mode=_mode(word), notes=f"{SOURCE} {name}"))
    for e in L.load_demo():
        entries.append(
            L.Entry(e.keyword, e.risks, e.mode, e.allow, "authored (hegui demo lexicon, Apache-2.0)")
        )
    return entries, raw


def fired(matcher: Matcher, texts: Iterable[str]) -> set[str]:
    """The keywords that fire on any of ``texts``."""
    out: set[str] = set()
    for t in texts:
        out |= {h.keyword for h in matcher.find(t)}
    return out


def quiet(lex: L.Lexicon, noisy: set[str]) -> list[L.Entry]:
    """The entries of ``lex`` without the ``noisy`` keywords; the project's own (authored) entries always stay."""
    return [e for e in lex if e.keyword not in noisy or e.notes.startswith("authored")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("source", type=Path, help="checkout of konsheng/Sensitive-lexicon")
    ap.add_argument(
        "--data", type=Path, required=True, help="folder holding the data sets (see DATA_SOURCES.md)"
    )
    ap.add_argument("--out", type=Path, default=Path("src/hegui/screen/data/starter_lexicon.json"))
    args = ap.parse_args()
    entries, raw = source_entries(args.source)
    lex = L.Lexicon(entries, name="starter", version="1")
    from hegui.screen.training import examples

    benign = [e.text for e in examples(args.data) if e.unsafe is False]
    kept = quiet(lex, fired(Matcher(lex), benign))
    description = (
        "Starter keyword library, NOT filing grade: assembled from openly licensed public lists (see each entry's "
        f"notes and data/DATA_SOURCES.md) plus the project's demo entries. From {raw} source lines: "
        f"{len(entries)} kept after cleaning, {lex.merged} merged as duplicates after normalisation, "
        f"{len(lex) - len(kept)} dropped because they occur in the project's benign texts; {len(kept)} entries. "
        "Run `hegui lexicon check` for the coverage against the standard's minimums."
    )
    final = L.Lexicon(kept, name="starter", version="1", description=description)
    args.out.write_text(json.dumps(final.to_json(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(description)
    print(dict(sorted(final.by_risk().items())))


if __name__ == "__main__":
    main()
