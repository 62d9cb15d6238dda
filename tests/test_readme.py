"""The README's "Use it as a library" examples run as they are, each in a fresh interpreter."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def library_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Use it as a library", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_there_is_one_example_per_wing() -> None:
    imports = " ".join(library_examples())
    for wing in ("hegui.label", "hegui.screen", "hegui.rules", "hegui.store"):
        assert f"from {wing} import" in imports, wing


@pytest.mark.parametrize("index", range(len(library_examples())))
def test_readme_example_runs(index: int, tmp_path: Path) -> None:
    code = library_examples()[index]
    env = {
        **os.environ,
        "PYTHONPATH": str(README.parent / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    env.pop("HEGUI_DATABASE_URL", None)
    env.pop("HEGUI_LEXICON", None)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"example {index} failed:\n{code}\n{proc.stderr}"


def test_docs_stand_on_their_own() -> None:
    """No README or docs page points outside the repository or speaks the team tracker's language."""
    for page in [README, *sorted((README.parent / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, page.name
        assert "the issue's" not in text.lower(), page.name
