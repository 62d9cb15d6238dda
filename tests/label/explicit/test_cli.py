"""``hegui label visible`` / ``check-visible``: thin CLI over the service, real files, exit codes, --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hegui.cli.main import app
from hegui.label import Record, write

from .conftest import PRODUCER, ffmpeg, photo

runner = CliRunner()


def test_label_and_check_every_medium(tmp_path: Path) -> None:
    md = tmp_path / "a.md"
    md.write_text("---\ntitle: x\n---\n# 标题\n\n正文。\n", encoding="utf-8")
    html = tmp_path / "b.html"
    html.write_text("<html><body><p>正文</p></body></html>", encoding="utf-8")
    png = tmp_path / "c.png"
    photo(400, 300).save(png)
    write(png, Record.new(PRODUCER))
    wav = tmp_path / "d.wav"
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=d=1:a=0.05", str(wav))
    mp4 = tmp_path / "e.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=192x108:r=25:d=2.5", "-pix_fmt", "yuv420p", str(mp4))
    files = [str(p) for p in (md, html, png, wav, mp4)]

    before = runner.invoke(app, ["label", "check-visible", "--json", *files])
    assert before.exit_code == 1, before.output
    payload = json.loads(before.stdout)
    assert "hegui_version" in payload and not any(f["compliant"] for f in payload["files"])

    out = tmp_path / "out"
    done = runner.invoke(app, ["label", "visible", "-o", str(out), "--duration", "2.5", "--json", *files])
    assert done.exit_code == 0, done.output
    results = json.loads(done.stdout)["files"]
    assert [r["medium"] for r in results] == ["text", "text", "image", "audio", "video"]
    image = results[2]
    assert image["geometry"]["ratio"] >= 0.05 and image["implicit_label"]["ContentProducer"] == PRODUCER

    labelled = [str(out / Path(f).name) for f in files]
    after = runner.invoke(app, ["label", "check-visible", *labelled])
    assert after.exit_code == 0, after.output
    assert "NOT" not in after.stdout


def test_in_place_and_options(tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text("正文。", encoding="utf-8")
    r = runner.invoke(app, ["label", "visible", "--position", "end", "--text", "以上内容由AI生成", str(txt)])
    assert r.exit_code == 0, r.output
    assert txt.read_text(encoding="utf-8").endswith("以上内容由AI生成")


def test_usage_and_input_errors(tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text("正文。", encoding="utf-8")
    bad_text = runner.invoke(app, ["label", "visible", "--text", "AI助手", str(txt)])
    assert bad_text.exit_code == 2 and txt.read_text(encoding="utf-8") == "正文。"
    unknown = tmp_path / "x.xyz"
    unknown.write_bytes(b"??")
    assert runner.invoke(app, ["label", "check-visible", str(unknown)]).exit_code == 3
    missing = runner.invoke(app, ["label", "visible", str(tmp_path / "none.png")])
    assert missing.exit_code == 3


def test_label_show_does_not_import_media_stacks() -> None:
    """``hegui label show`` stays fast: the visible-label hook must not import Pillow, numpy or scipy."""
    code = (
        "import sys; import hegui.cli.label; "
        "print(','.join(m for m in ('numpy', 'scipy', 'hegui.label.explicit.image') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "scipy" not in out.stdout and "hegui.label.explicit.image" not in out.stdout
