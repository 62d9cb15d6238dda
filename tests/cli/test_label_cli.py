"""``hegui label add|show`` run as a real process: tables, --json, exit codes scripts rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

PRODUCER = "001191440300708461136T1XGW3"


def hegui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hegui", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (1, 2, 3)).save(path)
    return path


def test_help_lists_commands(tmp_path: Path) -> None:
    result = hegui("label", "--help", cwd=tmp_path)
    assert result.returncode == 0 and "add" in result.stdout and "show" in result.stdout
    assert hegui("label", "add", "--help", cwd=tmp_path).returncode == 0


def test_add_then_show_json(tmp_path: Path) -> None:
    png(tmp_path / "a.png")
    png(tmp_path / "b.png")
    added = hegui("label", "add", "a.png", "b.png", "--producer", PRODUCER, "--json", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    rows = json.loads(added.stdout)
    assert [r["status"] for r in rows] == ["labeled", "labeled"]
    ids = {r["record"]["ProduceID"] for r in rows}
    assert len(ids) == 2  # auto: one fresh id per file
    shown = hegui("label", "show", "a.png", "b.png", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert all(d["valid"] for d in data)
    assert {d["labels"][0]["record"]["ProduceID"] for d in data} == ids


def test_show_exit_1_without_label_and_3_on_unreadable(tmp_path: Path) -> None:
    png(tmp_path / "plain.png")
    assert hegui("label", "show", "plain.png", cwd=tmp_path).returncode == 1
    (tmp_path / "junk.bin").write_bytes(b"\x00garbage" * 10)
    assert hegui("label", "show", "junk.bin", cwd=tmp_path).returncode == 3
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = hegui("label", "show", "broken.png", "--json", cwd=tmp_path)
    assert result.returncode == 3
    assert "broken.png" in json.loads(result.stdout)[0]["error"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    png(tmp_path / "a.png")
    png(tmp_path / "b.png")
    bad_uscc = "001191440300708461136X1XGW3"
    assert hegui("label", "add", "a.png", "--producer", bad_uscc, cwd=tmp_path).returncode == 2
    assert (
        hegui("label", "add", "a.png", "--producer", PRODUCER, "--label", "7", cwd=tmp_path).returncode == 2
    )
    fixed = hegui(
        "label", "add", "a.png", "b.png", "--producer", PRODUCER, "--produce-id", "same", cwd=tmp_path
    )
    assert fixed.returncode == 2 and "same content number" in fixed.stderr


def test_recursive_output_keeps_sources_and_skips_unknown(tmp_path: Path) -> None:
    png(tmp_path / "in" / "x" / "a.png")
    (tmp_path / "in" / "notes.unknown").write_bytes(b"plain text nobody labels")
    before = (tmp_path / "in" / "x" / "a.png").read_bytes()
    result = hegui(
        "label",
        "add",
        "in",
        "-r",
        "--producer",
        PRODUCER,
        "--produce-id",
        "job-{stem}",
        "-o",
        "out",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    statuses = {Path(r["path"]).name: r["status"] for r in json.loads(result.stdout)}
    assert statuses == {"a.png": "labeled", "notes.unknown": "skipped"}
    assert (tmp_path / "in" / "x" / "a.png").read_bytes() == before
    shown = json.loads(hegui("label", "show", "out/x/a.png", "--json", cwd=tmp_path).stdout)
    assert shown[0]["labels"][0]["record"]["ProduceID"] == "job-a"


def test_platform_adds_propagation_fields_keeping_producer(tmp_path: Path) -> None:
    png(tmp_path / "a.png")
    hegui("label", "add", "a.png", "--producer", PRODUCER, "--produce-id", "gen-1", cwd=tmp_path)
    platform = "001191110102MACQD9K64020001"
    result = hegui(
        "label", "add", "a.png", "--propagator", platform, "--propagate-id", "auto", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)[0]["record"]
    assert record["ContentProducer"] == PRODUCER and record["ProduceID"] == "gen-1"
    assert record["ContentPropagator"] == platform and record["PropagateID"]


def test_in_place_for_mp4_and_ignored_elsewhere(tmp_path: Path) -> None:
    from hegui.label.samples import isobmff

    videos = isobmff.make(tmp_path)
    png(tmp_path / "still.png")
    names = [str(p.relative_to(tmp_path)) for p in videos] + ["still.png"]
    result = hegui("label", "add", *names, "--producer", PRODUCER, "--in-place", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert {r["status"] for r in json.loads(result.stdout)} == {"labeled"}
    shown = hegui("label", "show", *names, "--json", cwd=tmp_path)
    assert shown.returncode == 0 and all(d["valid"] for d in json.loads(shown.stdout))
    assert not [p for p in tmp_path.rglob("*") if "journal" in p.name or p.name.endswith(".hegui-tmp")]
