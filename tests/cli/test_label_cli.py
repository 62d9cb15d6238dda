"""``hegui label add|show`` run as a real process: tables, --json, exit codes scripts rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

PRODUCER = "001191440300708461136T1XGW3"


def hegui(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hegui", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
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
    payload = json.loads(added.stdout)
    assert payload["hegui_version"] and payload["summary"]["labeled"] == 2
    rows = payload["files"]
    assert [r["status"] for r in rows] == ["labeled", "labeled"]
    ids = {r["record"]["ProduceID"] for r in rows}
    assert len(ids) == 2  # auto: one fresh id per file
    shown = hegui("label", "show", "a.png", "b.png", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)["files"]
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
    assert "broken.png" in json.loads(result.stdout)["files"][0]["error"]


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
    statuses = {Path(r["path"]).name: r["status"] for r in json.loads(result.stdout)["files"]}
    assert statuses == {"a.png": "labeled", "notes.unknown": "skipped"}
    assert (tmp_path / "in" / "x" / "a.png").read_bytes() == before
    shown = json.loads(hegui("label", "show", "out/x/a.png", "--json", cwd=tmp_path).stdout)["files"]
    assert shown[0]["labels"][0]["record"]["ProduceID"] == "job-a"


def test_platform_adds_propagation_fields_keeping_producer(tmp_path: Path) -> None:
    png(tmp_path / "a.png")
    hegui("label", "add", "a.png", "--producer", PRODUCER, "--produce-id", "gen-1", cwd=tmp_path)
    platform = "001191110102MACQD9K64020001"
    result = hegui(
        "label", "add", "a.png", "--propagator", platform, "--propagate-id", "auto", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)["files"][0]["record"]
    assert record["ContentProducer"] == PRODUCER and record["ProduceID"] == "gen-1"
    assert record["ContentPropagator"] == platform and record["PropagateID"]


def test_producer_defaults_from_hegui_toml(tmp_path: Path) -> None:
    """Without --producer, the code comes from hegui.toml (or HEGUI_PRODUCER); with --propagator alone the file's
    producer is kept (a platform's hegui.toml producer never replaces it); with no code anywhere, a usage error."""
    env = {k: v for k, v in os.environ.items() if k not in ("HEGUI_PRODUCER", "HEGUI_CONFIG")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-user-config")
    png(tmp_path / "a.png")
    assert hegui("label", "add", "a.png", cwd=tmp_path, env=env).returncode == 2
    (tmp_path / "hegui.toml").write_text(f'producer = "{PRODUCER}"\n')
    result = hegui("label", "add", "a.png", "--produce-id", "gen-1", "--json", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files"][0]["record"]["ContentProducer"] == PRODUCER
    other = "001191110102MACQD9K64020001"
    (tmp_path / "hegui.toml").write_text(f'producer = "{other}"\n')
    result = hegui("label", "add", "a.png", "--propagator", other, "--json", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)["files"][0]["record"]
    assert record["ContentProducer"] == PRODUCER and record["ProduceID"] == "gen-1"
    assert record["ContentPropagator"] == other
    (tmp_path / "hegui.toml").write_text("producer = 5\n")  # a broken settings file is a usage error
    assert hegui("label", "add", "a.png", cwd=tmp_path, env=env).returncode == 2


def test_in_place_for_mp4_and_ignored_elsewhere(tmp_path: Path) -> None:
    from hegui.label.samples import isobmff

    videos = isobmff.make(tmp_path)
    png(tmp_path / "still.png")
    names = [str(p.relative_to(tmp_path)) for p in videos] + ["still.png"]
    result = hegui("label", "add", *names, "--producer", PRODUCER, "--in-place", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert {r["status"] for r in json.loads(result.stdout)["files"]} == {"labeled"}
    shown = hegui("label", "show", *names, "--json", cwd=tmp_path)
    assert shown.returncode == 0 and all(d["valid"] for d in json.loads(shown.stdout)["files"])
    assert not [p for p in tmp_path.rglob("*") if "journal" in p.name or p.name.endswith(".hegui-tmp")]


# ---- trust: another producer's label is never replaced silently (issue: Labeling Measures Art. 10) ----------

OTHER = "001191110108MA01ABCD1E1XYZ1"
PLATFORM = "001191110108MA01ABCD1E2XYZ1"


def test_foreign_producer_is_refused_and_replace_foreign_reports_what_it_replaced(tmp_path: Path) -> None:
    png(tmp_path / "d.png")
    assert (
        hegui(
            "label", "add", "d.png", "--producer", PRODUCER, "--produce-id", "first", cwd=tmp_path
        ).returncode
        == 0
    )
    propagated = hegui(
        "label", "add", "d.png", "--propagator", PLATFORM, "--propagate-id", "auto", cwd=tmp_path
    )
    assert propagated.returncode == 0, propagated.stdout
    before = (tmp_path / "d.png").read_bytes()
    refused = hegui("label", "add", "d.png", "--producer", OTHER, cwd=tmp_path)
    assert refused.returncode == 1
    assert "refused" in refused.stdout and PRODUCER in refused.stdout and "first" in refused.stdout
    assert (tmp_path / "d.png").read_bytes() == before  # untouched
    replaced = hegui(
        "label", "add", "d.png", "--producer", OTHER, "--replace-foreign", "--json", cwd=tmp_path
    )
    assert replaced.returncode == 0, replaced.stdout
    row = json.loads(replaced.stdout)["files"][0]
    assert row["replaced_foreign"][0]["ContentProducer"] == PRODUCER
    assert row["replaced_foreign"][0]["ProduceID"] == "first"
    assert any("replaced another producer's label" in w["message"] for w in row["warnings"])
    shown = json.loads(hegui("label", "show", "d.png", "--json", cwd=tmp_path).stdout)["files"][0]
    assert [f["record"]["ContentProducer"] for f in shown["labels"]] == [
        OTHER
    ]  # exactly one label, never none


def test_replace_foreign_needs_a_provider_code_and_is_recorded_in_the_store(tmp_path: Path) -> None:
    png(tmp_path / "d.png")
    hegui("label", "add", "d.png", "--producer", PRODUCER, "--produce-id", "first", cwd=tmp_path)
    by_name = hegui("label", "add", "d.png", "--producer", "SomeName", "--replace-foreign", cwd=tmp_path)
    assert by_name.returncode == 2 and "provider code" in by_name.stdout
    from hegui.store import open_store, session_scope
    from hegui.store.models import EvidenceItem

    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    open_store(url).dispose()  # the store exists: the replacement must be recorded there
    result = hegui("label", "add", "d.png", "--producer", OTHER, "--replace-foreign", cwd=tmp_path)
    assert result.returncode == 0 and "recorded in the evidence store" in result.stdout
    with session_scope(open_store(url)) as session:
        items = session.query(EvidenceItem).filter_by(duty_id="label-replace-foreign").all()
        assert len(items) == 1 and "first" in items[0].title and PRODUCER in items[0].title
        assert items[0].location.endswith("d.png") and items[0].service == OTHER


def test_recursive_rerun_is_idempotent_with_uuid5_ids(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        png(tmp_path / "in" / f"{name}.png")
    args = ("label", "add", "in", "-r", "--producer", PRODUCER, "--produce-id", "{uuid5}", "--json")
    first = json.loads(hegui(*args, cwd=tmp_path).stdout)
    assert first["summary"]["labeled"] == 3
    snapshot = {p.name: p.read_bytes() for p in (tmp_path / "in").iterdir()}
    second = json.loads(hegui(*args, cwd=tmp_path).stdout)
    assert second["summary"]["skipped"] == 3 and second["summary"]["labeled"] == 0
    assert {p.name: p.read_bytes() for p in (tmp_path / "in").iterdir()} == snapshot
    forced = json.loads(hegui(*args, "--no-skip-labeled", cwd=tmp_path).stdout)  # same IDs when rewritten
    ids = lambda payload: {Path(r["path"]).name: r["record"]["ProduceID"] for r in payload["files"]}  # noqa: E731
    assert ids(forced) == ids(first)


def test_single_output_file_and_lines_never_fold_codes(tmp_path: Path) -> None:
    png(tmp_path / "a.png")
    result = hegui("label", "add", "a.png", "-o", "out.png", "--producer", PRODUCER, cwd=tmp_path)
    assert result.returncode == 0 and (tmp_path / "out.png").is_file()
    lines = result.stdout.splitlines()
    assert lines[-1] == "1 files: 1 labeled, 0 skipped, 0 refused, 0 failed"
    assert PRODUCER not in result.stdout or all(PRODUCER in line for line in lines if PRODUCER[:10] in line)
    shown = hegui("label", "show", "out.png", cwd=tmp_path)
    whole = [line for line in shown.stdout.splitlines() if "ContentProducer=" in line]
    assert whole and PRODUCER in whole[0]  # the code is on one line, not folded at 80 columns


def test_quiet_and_jsonl_streams(tmp_path: Path) -> None:
    for name in ("a", "b"):
        png(tmp_path / f"{name}.png")
    quiet = hegui("label", "add", "a.png", "b.png", "--producer", PRODUCER, "-q", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stdout.splitlines() == [
        "2 files: 2 labeled, 0 skipped, 0 refused, 0 failed"
    ]
    streamed = hegui("label", "show", "a.png", "b.png", "--jsonl", "--jobs", "2", cwd=tmp_path)
    objects = [json.loads(line) for line in streamed.stdout.splitlines()]
    assert [o.get("path") for o in objects[:2]] == ["a.png", "b.png"]
    assert objects[-1]["summary"]["valid"] == 2 and objects[-1]["hegui_version"]


def test_concurrent_reader_beside_forty_in_place_writes(tmp_path: Path) -> None:
    """issue 18 item 2: a reader beside in-place writes never deletes a journal and never sees a torn label; every
    write succeeds (threads with their own file descriptors: flock treats them as separate processes would)."""
    import threading

    from hegui.label import Record, read, write
    from hegui.label.journal import journal_path
    from hegui.label.samples import jpeg

    path = jpeg.make(tmp_path)[0]
    write(path, Record.new(PRODUCER))
    stop = threading.Event()
    seen: list[str] = []
    errors: list[BaseException] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                scan = read(path)
                assert scan.valid and scan.label is not None and scan.label.record is not None
                seen.append(scan.label.record.ProduceID)
            except BaseException as exc:  # reported below
                errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        modes = [write(path, Record.new(PRODUCER, produce_id=f"w{i}"), in_place=True).mode for i in range(40)]
    finally:
        stop.set()
        thread.join()
    assert modes == ["in-place"] * 40 and not errors and seen
    assert read(path).label.record.ProduceID == "w39"  # type: ignore[union-attr]
    assert not journal_path(path).exists()
