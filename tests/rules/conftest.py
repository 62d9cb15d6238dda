"""Collect the OpenFisca-style YAML cases under tests/rules/cases/ as pytest items (one item per case)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hegui.rules.testing import Case, load_cases, run_case

CASES_DIR = Path(__file__).parent / "cases"


class YamlCaseFailure(AssertionError):
    pass


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent == CASES_DIR:
        return YamlFile.from_parent(parent, path=file_path)
    return None


class YamlFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        for case in load_cases(self.path):
            yield YamlItem.from_parent(self, name=case.name, case=case)


class YamlItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        problems = run_case(self.case)
        if problems:
            raise YamlCaseFailure(problems)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, YamlCaseFailure):
            lines = "\n".join(f"  - {p}" for p in excinfo.value.args[0])
            return f"{self.path.name} / Test {self.case.name!r}:\n{lines}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"yaml case: {self.name}"
