"""Extract the public everyday-text sample used as benign training data for the screening classifier (dev only).

Reads two Apache-2.0 dialogue data sets from THU-COAI and writes ``scripts/screen_data/everyday_public.jsonl``
(one ``{"text", "source"}`` object a line; committed, about 0.2 MB, so that training is reproducible without
the original repositories):

* CrossWOZ (github.com/thu-coai/CrossWOZ, commit df82c9f, Apache-2.0): user turns of the validation and test
  dialogues (travel in Beijing: restaurants, hotels, sights, metro, taxi);
* KdConv (github.com/thu-coai/KdConv, commit 653db76, Apache-2.0): turns of the dev dialogues about films,
  music and travel.

Usage: ``python scripts/extract_everyday.py CROSSWOZ_DIR KDCONV_DIR`` where the directories hold
``val.json``/``test.json`` (unzipped) and ``{film,music,travel}/dev.json``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

PER_SOURCE = 1500


def _pick(texts: list[str], n: int) -> list[str]:
    uniq = sorted(set(t.strip() for t in texts if 6 <= len(t.strip()) <= 200))
    return sorted(uniq, key=lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest())[:n]


def main(crosswoz: Path, kdconv: Path, out: Path) -> None:
    cw: list[str] = []
    for name in ("val.json", "test.json"):
        for dialogue in json.loads((crosswoz / name).read_text(encoding="utf-8")).values():
            cw += [m["content"] for m in dialogue["messages"] if m["role"] == "usr"]
    kd: list[str] = []
    for domain in ("film", "music", "travel"):
        for dialogue in json.loads((kdconv / domain / "dev.json").read_text(encoding="utf-8")):
            kd += [m["message"] for m in dialogue["messages"]]
    rows = [{"text": t, "source": "crosswoz"} for t in _pick(cw, PER_SOURCE)]
    rows += [{"text": t, "source": "kdconv"} for t in _pick(kd, PER_SOURCE)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]), Path(sys.argv[2]), Path(__file__).parent / "screen_data" / "everyday_public.jsonl"
    )
