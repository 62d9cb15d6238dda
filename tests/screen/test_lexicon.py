from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from hegui.errors import InputError
from hegui.screen import lexicon as L
from hegui.screen.taxonomy import MINIMUMS


def test_demo_is_marked_and_honest(demo_lexicon: L.Lexicon) -> None:
    assert demo_lexicon.demo
    cov = L.coverage(demo_lexicon)
    assert not cov.ok
    assert cov.total == len(demo_lexicon) < MINIMUMS.keywords_total
    text = "\n".join(cov.lines())
    assert "DEMO" in text and "does NOT meet" in text
    assert f"gap {MINIMUMS.keywords_total - cov.total}" in text
    assert all(r.gap > 0 for r in cov.risks)  # every one of the 17 risks is below its floor
    assert 0 < cov.percent < 10


def test_dedupe_after_normalisation() -> None:
    lex = L.Lexicon(
        [
            L.make_entry("法轮功", ["A.1.h"]),
            L.make_entry("法 輪 功", ["A.1.c"]),
            L.make_entry("ＰＯＲＮ", ["A.1.f"]),
        ]
    )
    assert len(lex) == 2 and lex.merged == 1
    merged = next(e for e in lex if e.keyword == "法轮功")
    assert merged.risks == ("A.1.c", "A.1.h")


def test_excel_round_trip_in_filing_layout(tmp_path: Path, demo_lexicon: L.Lexicon) -> None:
    out = L.write(demo_lexicon, tmp_path / "lex.xlsx")
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]][:3]
    assert header == ["关键词", "一级分类", "二级分类"]
    assert ws.cell(2, 2).value == "包含违反社会主义核心价值观的内容"
    back = L.load(out)
    assert L.diff(demo_lexicon, back).empty
    assert {e.keyword: e.allow for e in back}["赌博"] == {e.keyword: e.allow for e in demo_lexicon}["赌博"]


def test_csv_and_json_round_trip(tmp_path: Path, demo_lexicon: L.Lexicon) -> None:
    for suffix in (".csv", ".json"):
        back = L.load(L.write(demo_lexicon, tmp_path / f"lex{suffix}"))
        assert L.diff(demo_lexicon, back).empty, suffix
    assert L.load(tmp_path / "lex.json").digest == demo_lexicon.digest


def test_csv_gb18030_and_multi_risk(tmp_path: Path) -> None:
    p = tmp_path / "gbk.csv"
    p.write_bytes("关键词,一级分类,二级分类\n测试词,,性别歧视内容|年龄歧视内容\n".encode("gb18030"))
    lex = L.load(p)
    assert lex.entries[0].risks == ("A.2.e", "A.2.f")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["", "", "A.1.a"], "empty keyword"),
        (["词", "", "不存在的风险"], "unknown risk"),
        (["词", "包含歧视性内容", "宣扬恐怖主义、极端主义"], "does not match"),
        (["\u200b", "", "A.1.a"], "empty after normalisation"),
    ],
)
def test_bad_rows_name_the_row(tmp_path: Path, row: list[str], message: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("关键词,一级分类,二级分类\n" + ",".join(row) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        L.load(p)
    assert "row 2" in str(info.value)


def test_bad_files(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="Excel"):
        L.load(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="not found"):
        L.load(tmp_path / "missing.csv")
    (tmp_path / "h.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="关键词"):
        L.load(tmp_path / "h.csv")


def test_diff_reports_added_removed_changed() -> None:
    old = L.Lexicon([L.make_entry("甲乙", ["A.1.a"]), L.make_entry("丙丁", ["A.1.b"])])
    new = L.Lexicon([L.make_entry("甲乙", ["A.1.a", "A.1.c"]), L.make_entry("戊己", ["A.1.b"])])
    d = L.diff(old, new)
    assert [e.keyword for e in d.added] == ["戊己"]
    assert [e.keyword for e in d.removed] == ["丙丁"]
    assert [(a.risks, b.risks) for a, b in d.changed] == [(("A.1.a",), ("A.1.a", "A.1.c"))]


def test_stats(demo_lexicon: L.Lexicon) -> None:
    s = L.stats(demo_lexicon)
    assert s["entries"] == len(demo_lexicon)
    assert sum(s["by_script"].values()) == len(demo_lexicon)
    assert s["with_allow_contexts"] >= 1


def test_a_library_at_the_minimums_passes() -> None:
    from hegui.screen import taxonomy

    entries = []
    n = 0
    for rid in taxonomy.KEYWORD_RISKS:
        for _ in range(MINIMUMS.keywords_for(rid)):
            entries.append(L.make_entry(f"词{n:05d}", [rid]))
            n += 1
    while n < MINIMUMS.keywords_total:
        entries.append(L.make_entry(f"词{n:05d}", ["A.1.h"]))
        n += 1
    cov = L.coverage(L.Lexicon(entries))
    assert cov.ok and cov.percent == 100.0
    assert "meets" in cov.lines()[0]
    one_short = L.coverage(L.Lexicon(entries[1:]))  # the first entry is an A.1.a keyword
    assert not one_short.ok and [r.risk for r in one_short.risks if r.gap] == ["A.1.a"]
