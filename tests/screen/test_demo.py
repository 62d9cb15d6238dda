from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from hegui.screen import demo


def test_demo_runs_and_reports(tmp_path: Path) -> None:
    console = Console(record=True, width=140)
    fragment = demo.run(tmp_path, console)
    data = json.loads((tmp_path / "screen.json").read_text(encoding="utf-8"))
    assert [k["keyword"] for k in data[0]["keywords"]] == ["制造炸弹", "porn"]
    assert data[1]["keywords"] and all(k["keyword"] != "赌博" or k["start"] > 8 for k in data[1]["keywords"])
    assert {f["kind"] for f in data[2]["pii"]} >= {"mobile", "resident_id", "person_name"}
    assert "<table>" in fragment and "demo" in fragment.lower()
    assert "DEMO lexicon" in console.export_text()
