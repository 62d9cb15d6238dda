"""``hegui verify`` and ``hegui deliveries`` run as real processes: --json / --jsonl, stamping, exit codes."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from hegui import label
from hegui.label import Record, integrity
from hegui.label.platform import forms

PRODUCER = "001191440300708461136T1XGW3"
PLATFORM = "001191110102MACQD9K64020001"


def hegui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hegui", *args], cwd=cwd, capture_output=True, text=True, timeout=180
    )


def uploads(folder: Path) -> dict[str, Path]:
    files = {
        "confirmed": forms.png_plain(folder / "a" / "labelled.png"),
        "suspected": forms.png_parameters(folder / "a" / "b" / "sd.png"),
        "none": forms.png_plain(folder / "plain.png"),
    }
    label.write(files["confirmed"], Record.new(PRODUCER))
    return files


def test_help(tmp_path: Path) -> None:
    for args in (
        ["verify", "--help"],
        ["deliveries", "--help"],
        ["deliveries", "log", "--help"],
        ["serve", "--help"],
    ):
        result = hegui(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr


def test_verify_json_recursive(tmp_path: Path) -> None:
    files = uploads(tmp_path / "in")
    result = hegui("verify", str(tmp_path / "in"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["hegui_version"]
    by_path = {Path(r["path"]).name: r["verdict"] for r in payload["results"]}
    assert by_path == {p.name: verdict for verdict, p in files.items()}
    assert payload["summary"] == {"confirmed": 1, "possible": 0, "suspected": 1, "none": 1, "error": 0}


def test_verify_declared_jsonl_jobs(tmp_path: Path) -> None:
    uploads(tmp_path / "in")
    result = hegui("verify", str(tmp_path / "in"), "--declared-ai", "--jsonl", "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["verdict"] for r in lines) == ["confirmed", "possible", "possible"]


def test_verify_stamp_and_keys(tmp_path: Path) -> None:
    files = uploads(tmp_path / "in")
    keys_dir, private = tmp_path / "pinned", tmp_path / "private"
    producer_key = integrity.generate_key("sm2", PRODUCER)
    integrity.save_key(producer_key, keys_dir, public_only=True)
    signed = integrity.sign_file(files["confirmed"], Record.new(PRODUCER), producer_key)
    platform_key_path = integrity.save_key(integrity.generate_key("ed25519", PLATFORM), private)
    out = tmp_path / "out"
    result = hegui(
        "verify", str(tmp_path / "in"), "--platform-code", PLATFORM, "--stamp", "--keys", str(keys_dir),
        "--sign-key", str(platform_key_path), "--output", str(out), "--json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    results = {Path(r["path"]).name: r for r in json.loads(result.stdout)["results"]}
    confirmed = results["labelled.png"]
    assert confirmed["evidence"]["integrity"][0]["status"] == "valid"
    assert confirmed["stamp"]["stamped"] and results["sd.png"]["stamp"]["created"]
    assert results["plain.png"]["stamp"]["stamped"] is False
    rec = label.read(out / "labelled.png").labels[0].record
    assert rec is not None and rec.ProduceID == signed.ProduceID and rec.ContentPropagator == PLATFORM
    assert rec.ReservedCode1 == signed.ReservedCode1 and "SecurityData" in rec.ReservedCode2


def test_verify_exit_codes(tmp_path: Path) -> None:
    bad = forms.png_malformed_label(tmp_path / "bad.png")
    assert hegui("verify", str(bad), cwd=tmp_path).returncode == 1
    assert hegui("verify", str(tmp_path / "missing.png"), "--json", cwd=tmp_path).returncode == 3
    assert hegui("verify", str(bad), "--stamp", cwd=tmp_path).returncode == 2
    table = hegui("verify", str(bad), cwd=tmp_path)
    assert "suspected" in table.stdout and "summary" in table.stdout


def test_deliveries_cli(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    content = tmp_path / "c.png"
    forms.png_plain(content)
    logged = hegui(
        "deliveries", "log", "--recipient", "u-1", "--content-id", "p-1", "--agreement-version", "v3",
        "--file", str(content), "--at", "2026-01-10T08:00:00+08:00", "--db", db, "--json", cwd=tmp_path,
    )  # fmt: skip
    assert logged.returncode == 0, logged.stderr
    row = json.loads(logged.stdout)["delivery"]
    assert row["retain_until"] == "2026-07-10T00:00:00+00:00" and len(row["content_sha256"]) == 64
    short = hegui(
        "deliveries", "log", "--recipient", "u", "--content-id", "p", "--agreement-version", "v",
        "--retention-months", "2", "--db", db, cwd=tmp_path,
    )  # fmt: skip
    assert short.returncode == 2 and "6 months" in short.stderr
    exported = hegui("deliveries", "export", str(tmp_path / "log.csv"), "--db", db, "--json", cwd=tmp_path)
    assert json.loads(exported.stdout)["exported"] == 1
    assert (
        next(csv.DictReader((tmp_path / "log.csv").read_text("utf-8-sig").splitlines()))["recipient"] == "u-1"
    )
    dry = hegui(
        "deliveries",
        "purge",
        "--now",
        "2026-08-01T00:00:00+00:00",
        "--dry-run",
        "--db",
        db,
        "--json",
        cwd=tmp_path,
    )
    assert json.loads(dry.stdout) | {"hegui_version": ""} == {
        "hegui_version": "",
        "purged": 0,
        "expired": 1,
        "dry_run": True,
    }
    done = hegui(
        "deliveries", "purge", "--now", "2026-08-01T00:00:00+00:00", "--db", db, "--json", cwd=tmp_path
    )
    assert json.loads(done.stdout)["purged"] == 1


def test_appstore_cli(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    partial = hegui(
        "appstore", "check", "com.example.paint", "--aigc", "--item", "explicit-label-scheme=provided",
        "--db", db, "--json", cwd=tmp_path,
    )  # fmt: skip
    assert partial.returncode == 1, partial.stderr
    assert json.loads(partial.stdout)["check"]["result"] == "incomplete"
    required = ["explicit-label-scheme", "ui-screenshots", "implicit-label-description", "metadata-screenshot",
                "algorithm-filing"]  # fmt: skip
    args = [a for item in required for a in ("--item", f"{item}=provided")]
    full = hegui("appstore", "check", "com.example.paint", "--aigc", *args, "--db", db, cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    bad = hegui("appstore", "check", "x", "--aigc", "--item", "nope=provided", "--db", db, cwd=tmp_path)
    assert bad.returncode == 2 and "unknown checklist item" in bad.stderr
    shown = hegui("appstore", "history", "com.example.paint", "--db", db, "--json", cwd=tmp_path)
    assert [c["result"] for c in json.loads(shown.stdout)["checks"]] == ["incomplete", "complete"]
