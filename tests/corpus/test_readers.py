from __future__ import annotations

from pathlib import Path

import pytest

from hegui.corpus.readers import ReadOptions, discover, records
from hegui.errors import InputError, UsageError
from tests.corpus.conftest import make_texts, write_jsonl


def _all(paths: list[Path], **kw: int) -> list[tuple[str, str]]:
    return [r for s in discover(paths, **kw) for r in records(s)]


def test_every_format_is_read_in_full(corpus: Path) -> None:
    got = _all([corpus])
    assert sorted(t for _, t in got) == sorted(make_texts(1200))
    assert len({rid for rid, _ in got}) == 1200  # ids are unique


def test_ids_do_not_depend_on_how_a_file_is_split(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "x.jsonl", make_texts(500))
    whole = _all([f])
    for split in (97, 1000, 4096):
        shards = discover([f], split_bytes=split)
        assert len(shards) > 1
        assert [r for s in shards for r in records(s)] == whole


def test_id_and_nested_field_selectors(tmp_path: Path) -> None:
    p = tmp_path / "n.jsonl"
    p.write_text('{"doc": {"body": "正文一"}, "uid": 7}\n{"doc": {"other": 1}}\n', encoding="utf-8")
    got = [r for s in discover([p]) for r in records(s, ReadOptions("doc.body", "uid"))]
    assert got == [("7", "正文一")]


def test_malformed_line_names_file_and_offset(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_bytes(b'{"text": "ok"}\n{"text": \n')
    with pytest.raises(InputError) as ei:
        _all([p])
    assert "bad.jsonl" in str(ei.value) and "at byte 15" in str(ei.value)


def test_non_utf8_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "gbk.txt"
    p.write_bytes("中文语料\n".encode("gbk"))
    with pytest.raises(InputError, match="not UTF-8"):
        _all([p])


def test_unknown_format_and_missing_column(tmp_path: Path) -> None:
    (tmp_path / "x.docx").write_bytes(b"PK")
    with pytest.raises(UsageError, match="unknown corpus format"):
        discover([tmp_path / "x.docx"])
    c = tmp_path / "c.csv"
    c.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no column 'text'"):
        _all([c])


def test_damaged_gzip_is_an_input_error_not_a_traceback(tmp_path: Path) -> None:
    p = tmp_path / "t.jsonl.gz"
    p.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(InputError, match="damaged or truncated gzip"):
        _all([p])
    import zstandard

    whole = zstandard.ZstdCompressor().compress(b'{"text": "x"}\n' * 1000)
    z = tmp_path / "t.jsonl.zst"
    z.write_bytes(whole[: len(whole) // 2] + b"\xff" * 8)
    with pytest.raises(InputError, match="truncated zstd"):
        _all([z])
