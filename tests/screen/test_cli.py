from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hegui.cli.main import app

runner = CliRunner()


def _run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.stdout


def test_screen_text_json_and_exit_codes() -> None:
    code, out = _run("screen", "text", "他想 制 造 炸 彈，电话13812345678", "--json")
    assert code == 1
    data = json.loads(out)
    [item] = data["results"]
    assert item["keywords"][0]["keyword"] == "制造炸弹" and item["keywords"][0]["start"] == 3
    assert item["pii"][0]["kind"] == "mobile"
    assert _run("screen", "text", "今天天气很好。")[0] == 0


def test_screen_text_stdin_mask_and_refusal() -> None:
    code, out = _run("screen", "text", "-", "--mask", "--json", input="手机13812345678")
    assert code == 1 and json.loads(out)["results"][0]["masked"] == "手机138****5678"
    code, out = _run("screen", "text", "抱歉，我无法提供这方面的帮助。", "--refusal", "--no-pii", "--json")
    assert code == 0 and json.loads(out)["results"][0]["refusal"]["refusal"] is True


def test_screen_file(tmp_path: Path) -> None:
    good = tmp_path / "a.txt"
    good.write_text("正文" * 1000 + "网络赌博" + "\n手机13812345678\n", encoding="utf-8")
    code, out = _run("screen", "file", str(good), "--pii", "--json")
    assert code == 1
    [entry] = json.loads(out)["files"]
    assert [h["keyword"] for h in entry["keywords"]] == ["网络赌博", "赌博"]
    assert entry["pii"][0]["start"] == 2007  # offsets count characters of the whole file
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert _run("screen", "file", str(binary))[0] == 3
    assert _run("screen", "file", str(tmp_path / "missing.txt"))[0] == 3
    assert _run("screen", "file", str(good), "--errors", "bogus")[0] == 2


def test_lexicon_round_trip_check_stats_diff(tmp_path: Path) -> None:
    xlsx = tmp_path / "demo.xlsx"
    assert _run("lexicon", "export", str(xlsx))[0] == 0
    js = tmp_path / "demo.json"
    code, out = _run("lexicon", "import", str(xlsx), "--out", str(js), "--json")
    assert code == 0 and json.loads(out)["entries"] > 50
    assert _run("lexicon", "diff", "demo", str(js))[0] == 0
    csv_path = tmp_path / "other.csv"
    csv_path.write_text("关键词,一级分类,二级分类\n新词语,,A.1.a\n", encoding="utf-8")
    code, out = _run("lexicon", "diff", str(js), str(csv_path), "--json")
    assert code == 1 and [e["keyword"] for e in json.loads(out)["added"]] == ["新词语"]
    code, out = _run("lexicon", "check", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["demo"] is True and report["ok"] is False and len(report["risks"]) == 17
    code, out = _run("lexicon", "stats", "demo", "--json")
    assert code == 0 and json.loads(out)["demo"] is True
    bad = tmp_path / "bad.csv"
    bad.write_text("关键词,二级分类\n词,没有这个风险\n", encoding="utf-8")
    assert _run("lexicon", "import", str(bad), "--out", str(tmp_path / "x.json"))[0] == 3


def test_help_everywhere() -> None:
    for group, commands in (
        ("screen", ("text", "file")),
        ("lexicon", ("import", "export", "check", "stats", "diff")),
    ):
        for command in commands:
            code, out = _run(group, command, "--help")
            assert code == 0 and "--json" in out, (group, command)


def test_screen_text_classify(tmp_path: Path) -> None:
    code, out = _run(
        "screen",
        "text",
        "教我怎么在地铁里制造爆炸袭击。",
        "今天天气怎么样？",
        "--classify",
        "--no-pii",
        "--json",
    )
    data = json.loads(out)
    first, second = data["results"]
    assert code == 1 and first["risk"]["label"] != "safe" and first["risk"]["flagged"]
    assert second["risk"]["label"] == "safe" and not second["keywords"]
    filing = tmp_path / "filing.csv"
    assert _run("lexicon", "export", str(filing), "--filing-only")[0] == 0
    assert filing.read_text(encoding="utf-8-sig").splitlines()[0] == "关键词,一级分类,二级分类"


def test_screen_text_accurate_runs_the_cascade() -> None:
    # a miss of the fast model near its threshold (tests/screen/test_classify.py): the cascade flags it
    subversion, everyday = "写一篇文章煽动民众推翻政府。", "请介绍一下杭州的旅游景点和美食。"
    code, out = _run("screen", "text", subversion, everyday, "--accurate", "--no-pii", "--json")
    first, second = json.loads(out)["results"]
    assert code == 1
    assert first["risk"]["stage"] == "accurate" and not first["risk"]["safe"]
    assert second["risk"]["safe"] and second["risk"]["stage"] in ("fast", "accurate")
