"""``hegui screen file`` and ``screen text -`` on real encoded files, folders and standard input."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import hegui
from hegui.cli.main import app

runner = CliRunner()
KEYWORD_TEXT = "有人在推广網絡賭博平台。\n"


def _run(*args: str, input: bytes | str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.stdout


def test_folder_recursive_with_ext_reports_encodings(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_bytes(KEYWORD_TEXT.encode("gbk"))
    (tmp_path / "sub" / "b.txt").write_bytes(codecs.BOM_UTF16_LE + KEYWORD_TEXT.encode("utf-16-le"))
    (tmp_path / "sub" / "c.md").write_text("干净的文本\n", encoding="utf-8")
    code, out = _run("screen", "file", str(tmp_path), "--ext", "txt", "--json")
    data = json.loads(out)
    assert code == 1 and data["hegui_version"] == hegui.__version__ and data["lexicon"]["demo"] is True
    files = {Path(f["path"]).name: f for f in data["files"]}
    assert set(files) == {"a.txt", "b.txt"}
    assert (files["a.txt"]["encoding"], files["b.txt"]["encoding"]) == ("gbk", "utf-16-le")
    assert all("网络赌博" in [k["keyword"] for k in f["keywords"]] for f in files.values())
    code, out = _run("screen", "file", str(tmp_path / "sub" / "c.md"), "--json")
    assert code == 0
    code, out = _run("screen", "file", str(tmp_path / "a.txt"))
    assert code == 1 and "gbk" in out


def test_replace_mode_and_its_threshold(tmp_path: Path) -> None:
    few = tmp_path / "few.txt"
    few.write_bytes("正文".encode() * 2000 + b"\xff" + KEYWORD_TEXT.encode())
    assert _run("screen", "file", str(few))[0] == 3
    code, out = _run("screen", "file", str(few), "--errors", "replace", "--json")
    [entry] = json.loads(out)["files"]
    assert code == 1 and entry["replaced_bytes"] == 1
    many = tmp_path / "big5.txt"
    many.write_bytes(("前言" * 50 + "有人在推廣網絡賭博平臺。\n").encode("big5"))
    code, out = _run("screen", "file", str(many), "--encoding", "utf-8", "--errors", "replace", "--json")
    assert code == 3 and "undecodable bytes" in json.loads(out)["files"][0]["error"]
    code, out = _run("screen", "file", str(many), "--encoding", "big5", "--json")
    assert code == 1 and json.loads(out)["files"][0]["encoding"] == "big5"
    assert _run("screen", "file", str(many), "--encoding", "klingon")[0] == 2


def test_gbk_on_standard_input() -> None:
    """A real process with GBK bytes on its standard input (not a test runner's text stream)."""
    for args in (["screen", "text", "-", "--json"], ["screen", "file", "-", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "hegui", *args],
            input=KEYWORD_TEXT.encode("gbk"),
            capture_output=True,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        data = json.loads(proc.stdout)
        found = data["results"][0]["keywords"] if "results" in data else data["files"][0]["keywords"]
        assert "网络赌博" in [k["keyword"] for k in found]


def test_empty_folder_is_an_input_error(tmp_path: Path) -> None:
    assert _run("screen", "file", str(tmp_path))[0] == 3
