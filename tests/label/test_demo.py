"""The label part of ``make demo``: every sample format is labeled and read back valid."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console

from hegui.label import demo, read
from hegui.label.containers import MODULES, all_containers
from hegui.label.samples import modules


def test_demo_labels_every_sample(tmp_path: Path) -> None:
    console = Console(file=io.StringIO(), width=200)
    fragment = demo.run(tmp_path, console)
    match = re.search(r"(\d+) of (\d+) sample files carry exactly one valid label", fragment)
    assert match is not None
    ok, total = int(match.group(1)), int(match.group(2))
    assert total >= len(modules()) and ok == total, console.file.getvalue()  # type: ignore[attr-defined]
    for path in (tmp_path / "labels").iterdir():
        scan = read(path)
        assert scan.valid and scan.label is not None and scan.label.record is not None
        assert scan.label.record.ContentPropagator == demo.DEMO_PLATFORM


def test_every_container_module_has_a_sample_maker() -> None:
    sample_names = {m.__name__.rsplit(".", 1)[-1] for m in modules()}
    container_modules = {type(c).__module__.rsplit(".", 1)[-1] for c in all_containers()}
    assert container_modules <= sample_names
    assert container_modules <= set(MODULES)
