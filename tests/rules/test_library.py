"""hegui.rules as a library (issue 8): assess() takes a profile, a mapping or a path and a date; the evidence
queries live in hegui.rules, not the CLI; and the rules modules import each other without a cycle."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

import hegui.rules
from hegui.errors import InputError
from hegui.rules import ServiceProfile, assess
from hegui.rules.parameters import parameter

SRC = Path(hegui.rules.__file__).parent
FACTS = {"name": "chat", "offered_to_public_in_mainland": True, "output_modalities": ["text"]}


def test_assess_takes_a_profile_a_mapping_or_a_path(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: chat\noffered_to_public_in_mainland: true\noutput_modalities: [text]\n", "utf-8")
    day = dt.date(2025, 11, 3)
    results = [
        assess(ServiceProfile.model_validate(FACTS), as_of=day),
        assess(FACTS, as_of=day),
        assess(path, as_of=day),
        assess(str(path), as_of=day),
    ]
    assert len({tuple(r.duty_ids) for r in results}) == 1 and "GAI-04a" in results[0].duty_ids
    assert {r.profile_hash for r in results} == {results[0].profile_hash}
    assert all(r.as_of == day for r in results)


def test_assess_rejects_other_types_and_bad_mappings() -> None:
    with pytest.raises(InputError, match="ServiceProfile, a mapping of facts or a path"):
        assess(42)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="offerd: unknown fact"):
        assess({"name": "x", "offerd": True})


def test_as_of_defaults_to_today() -> None:
    assert assess(FACTS).as_of == dt.date.today()


def test_dated_parameter_keeps_its_past_values() -> None:
    p = parameter("crossborder.security_assessment_nonsensitive")
    assert p.at(dt.date(2023, 1, 1)) == 100_000
    assert p.at(dt.date(2024, 3, 21)) == 100_000
    assert p.at(dt.date(2024, 3, 22)) == 1_000_000
    with pytest.raises(InputError, match="no value before 2022-09-01"):
        p.at(dt.date(2021, 1, 1))


def _imports(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hegui.rules."):
            out.add(node.module.split(".")[2])
        elif isinstance(node, ast.ImportFrom) and node.module == "hegui.rules":
            out.update(a.name for a in node.names if (SRC / f"{a.name}.py").exists())
    return out


def test_rules_modules_import_each_other_without_a_cycle() -> None:
    graph = {p.stem: _imports(p) for p in SRC.glob("*.py") if p.stem != "__init__"}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " → ".join([*path, node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, [*path, node])
        state[node] = 2

    for mod in sorted(graph):
        visit(mod, [])
    assert "engine" not in graph["facts"] and "engine" not in graph["catalogue"]


def test_the_cli_holds_no_sql() -> None:
    cli = (SRC.parent / "cli" / "rules.py").read_text(encoding="utf-8")
    assert "sqlalchemy" not in cli and "select(" not in cli and "open_store" not in cli
