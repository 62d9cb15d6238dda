"""cli/main.py loads command groups lazily: labelling never imports screening, rules, numpy or SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

HEAVY = ("numpy", "sqlalchemy", "hegui.screen", "hegui.rules", "hegui.store", "jieba", "weasyprint")


def _modules_after(*args: str) -> set[str]:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['hegui', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('hegui', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(proc.stderr.split())


def test_label_commands_import_nothing_heavy(tmp_path: Path) -> None:
    png = tmp_path / "x.png"
    Image.new("RGB", (4, 4)).save(png)
    for args in (("label", "--help"), ("label", "show", str(png)), ("label", "show", "--help", str(png))):
        loaded = _modules_after(*args)
        # `label show FILE` runs without typer (tests/cli/test_fast_start.py); --help goes through typer
        assert "hegui.cli.label" in loaded or "hegui.cli._label" in loaded
        assert not {m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)}, args


def test_root_help_lists_every_group() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hegui", "--help"], capture_output=True, text=True, check=True
    )
    for group in ("label", "screen", "lexicon", "rules", "demo"):
        assert group in proc.stdout
    loaded = _modules_after("screen", "--help")
    assert "hegui.cli.screen" in loaded and "hegui.cli.rules" not in loaded
