"""Hostile profiles and user text (issue 18 items 9 and 11): YAML that attacks its reader is refused with exit 3
and a clear message, and Rich markup in user text is printed as text, never interpreted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.cli.main import app
from hegui.errors import InputError
from hegui.rules.yamlio import loads_yaml

runner = CliRunner()


def _alias_bomb() -> str:
    lines = ["name: bomb", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    lines.append("roles: *a11")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "alias_bomb": (_alias_bomb(), "aliases"),
    "deep_nesting": ("name: x\nroles: " + "[" * 5000 + "]" * 5000 + "\n", "nests deeper"),
    "huge_integer": ("name: x\npi_individuals_total: " + "9" * 5000 + "\n", "more than 30 digits"),
    "list_as_key": ("name: x\n? [a, b]\n: 1\n", "mapping key must be a plain value"),
    "self_reference": ("name: x\nroles: &r [*r]\n", "YAML"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_yaml_is_refused_with_exit_3(case: str, tmp_path: Path) -> None:
    text, words = HOSTILE[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    res = runner.invoke(app, ["rules", "check", str(path)])
    assert res.exit_code == 3, (res.exit_code, res.output[-500:])
    assert words in " ".join(res.stderr.split()) and "Traceback" not in res.output
    with pytest.raises(InputError, match=words):
        loads_yaml(text)


def test_ordinary_anchors_still_load() -> None:
    data = loads_yaml("base: &b {x: 1}\nother: *b\nn: 12345678901234567890\n")
    assert data == {"base": {"x": 1}, "other": {"x": 1}, "n": 12345678901234567890}


MARKUP = "[/x] [bold red]red[/bold red] [link=https://evil.example]click[/link]"


def test_markup_in_profile_name_is_printed_verbatim(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(
        f'name: "{MARKUP}"\noffered_to_public_in_mainland: true\noutput_modalities: [text]\n',
        encoding="utf-8",
    )
    res = runner.invoke(app, ["rules", "check", str(p)])
    assert res.exit_code == 0, res.output
    assert "[/x]" in res.stdout and "[bold red]red[/bold red]" in res.stdout


def test_markup_in_status_note_and_evidence_title_is_printed_verbatim(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    p = tmp_path / "p.yaml"
    p.write_text(
        "name: svc\noffered_to_public_in_mainland: true\noutput_modalities: [text]\nhas_registered_users: true\n",
        encoding="utf-8",
    )
    f = tmp_path / "ev.txt"
    f.write_text("evidence", encoding="utf-8")
    res = runner.invoke(
        app, ["rules", "evidence", "mark", str(p), "GAI-15", "not_applicable", "--note", "[/bad]", "--db", db]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        [
            "rules",
            "evidence",
            "add",
            str(p),
            "GAI-09b",
            str(f),
            "--title",
            "[/bad] [bold]t[/bold]",
            "--db",
            db,
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["rules", "status", str(p), "--db", db, "--all"])
    assert res.exit_code == 1, res.output  # open duties remain
    assert "[/bad]" in res.stdout and "[bold]t[/bold]" in res.stdout
    res = runner.invoke(app, ["rules", "status", str(p), "--db", db, "--json", "--all"])
    data = {d["duty"]: d for d in json.loads(res.stdout)["duties"]}
    assert data["GAI-15"]["reasons"] == ["[/bad]"]
    assert data["GAI-09b"]["evidence"][0]["title"] == "[/bad] [bold]t[/bold]"


def test_markup_in_explain_output_is_not_interpreted() -> None:
    res = runner.invoke(app, ["rules", "explain", "ALG-20"])
    assert res.exit_code == 0 and "[bold]" not in res.stdout
