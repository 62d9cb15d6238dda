"""``hegui label show`` and ``hegui label add`` start without typer (hegui.cli._fast), and behave exactly as the
typer commands: the same options, the same parsed values, the same output and exit codes; anything else goes to
typer. Import sets are asserted, never timings (docs/labels.md has the measured start-up)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from PIL import Image

from hegui.cli import _fast
from hegui.cli.label import app as label_app

PRODUCER = "001191440300708461136T1XGW3"
PLATFORM = "001191110108MA01ABCD1E2XYZ1"

# What `hegui label show|add` must not import: the other wings, and the CLI framework with what it pulls in.
WINGS = (
    "hegui.screen",
    "hegui.rules",
    "hegui.assess",
    "hegui.corpus",
    "hegui.gateway",
    "hegui.web",
    "hegui.store",
)
FRAMEWORK = ("typer", "click", "rich", "pydantic", "pydantic_core", "shellingham")
HEAVY = ("numpy", "sqlalchemy", "jinja2", "weasyprint", "jieba", "scipy")


def _command(name: str) -> Any:
    group = typer.main.get_command(label_app)
    return group.get_command(typer.Context(group), name)  # type: ignore[attr-defined]


def _table(name: str) -> tuple[dict[str, tuple[str, bool | None]], dict[str, Any]]:
    """The typer command's options as the fast path describes them: option -> (parameter, flag value or None)."""
    options: dict[str, tuple[str, bool | None]] = {}
    defaults: dict[str, Any] = {}
    for param in _command(name).params:
        if param.param_type_name != "option":
            continue
        defaults[param.name] = param.default
        if param.is_flag:
            options.update(dict.fromkeys(param.opts, (param.name, True)))
            options.update(dict.fromkeys(param.secondary_opts, (param.name, False)))
        else:
            options.update(dict.fromkeys(param.opts, (param.name, None)))
    return options, defaults


@pytest.mark.parametrize(
    ("name", "options", "defaults"),
    [
        ("add", _fast.ADD_OPTIONS, _fast.ADD_DEFAULTS),
        ("show", _fast.SHOW_OPTIONS, _fast.SHOW_DEFAULTS),
    ],
)
def test_the_fast_tables_are_the_typer_commands(
    name: str, options: dict[str, Any], defaults: dict[str, Any]
) -> None:
    """A new or renamed option of `label add|show` fails here until the fast path knows it."""
    assert _table(name) == (options, defaults)
    arguments = [p for p in _command(name).params if p.param_type_name == "argument"]
    assert [(p.name, p.nargs, p.required) for p in arguments] == [("paths", -1, True)]


def _typer_params(args: list[str]) -> dict[str, Any] | None:
    """What the typer command would call its function with, or None where it reports a usage error."""
    command = _command(args[0])
    try:
        ctx = command.make_context(args[0], list(args[1:]))
    except Exception:  # click's usage errors (typer vendors click) and --help's exit
        return None
    params = dict(ctx.params)
    # typer < 0.29 leaves these as click gives them (a tuple of str, a str) and converts them when it calls
    params["paths"] = [Path(p) for p in params["paths"]]
    if params.get("output") is not None:
        params["output"] = Path(params["output"])
    return params


FAST = [
    ["show", "a.png"],
    ["show", "a.png", "b.png", "--json"],
    ["show", "--jsonl", "a.png", "-q", "b.png"],
    ["show", "-rq", "a.png"],
    ["show", "-j4", "a.png"],
    ["show", "-qj", "4", "a.png"],
    ["show", "--jobs=64", "a.png", "--", "--json", "-"],
    ["show", "-", "a.png", "--recursive"],
    ["add", "a.png", "--producer", PRODUCER],
    ["add", f"--producer={PRODUCER}", "-oout.png", "a.png", "--produce-id", "x-{stem}"],
    ["add", "a.png", "--producer", PRODUCER, "-qro", "out", "--no-fsync", "--copy", "--in-place"],
    ["add", "a.png", "--label", "2", "--label", "3", "--producer", "-x", "--produce-id="],
    ["add", "a.png", "--skip-labeled", "--no-skip-labeled", "--replace-foreign", "--jsonl", "--json"],
    [
        "add",
        "a.png",
        "--propagator",
        PLATFORM,
        "--propagate-id",
        "auto",
        "--reserved1",
        "r1",
        "--reserved2",
        "",
    ],
    ["add", "--", "-o", "a.png"],
]
TYPER = [
    ["show"],
    ["show", "--help"],
    ["show", "a.png", "--jobs", "0"],
    ["show", "a.png", "--jobs", "65"],
    ["show", "a.png", "--json=1"],
    ["show", "a.png", "--bogus"],
    ["show", "a.png", "-x"],
    ["show", "a.png", "--jobs"],
    ["add", "a.png", "--producer"],
    ["add", "a.png", "--quiet=yes"],
    ["add", "a.png", "-h"],
    ["add", "--producer", PRODUCER],
]

# typer accepts these, the fast path leaves them to typer all the same (it is sure of plain digits only)
CAUTIOUS = [
    ["show", "a.png", "-j", " 2"],
    ["show", "a.png", "-j", "+2"],
]


@pytest.mark.parametrize("args", FAST, ids=" ".join)
def test_fast_parse_gives_what_typer_gives(args: list[str]) -> None:
    found = _fast.arguments(["label", *args])
    assert found is not None, "a plain command line must take the fast path"
    command, paths, values = found
    assert command == args[0]
    assert _typer_params(args) == {"paths": paths, **values}


@pytest.mark.parametrize("args", TYPER, ids=" ".join)
def test_what_typer_refuses_or_helps_with_goes_to_typer(args: list[str]) -> None:
    assert _typer_params(args) is None
    assert _fast.arguments(["label", *args]) is None


@pytest.mark.parametrize("args", CAUTIOUS, ids=" ".join)
def test_what_the_fast_path_is_unsure_of_goes_to_typer(args: list[str]) -> None:
    assert _typer_params(args) is not None
    assert _fast.arguments(["label", *args]) is None


def test_other_commands_and_completion_go_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    for argv in (["label"], ["label", "add"], ["label", "visible", "a.txt"], ["--version"], ["screen", "x"]):
        assert _fast.arguments(argv) is None
    assert _fast.arguments(["label", "show", "a.png"]) is not None
    monkeypatch.setenv("_HEGUI_COMPLETE", "bash_complete")
    assert _fast.arguments(["label", "show", "a.png"]) is None


def test_a_usage_error_found_by_the_plan_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan refuses before any file is touched; run() hands the command line to typer for its message."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEGUI_PRODUCER", raising=False)
    monkeypatch.setenv("HEGUI_CONFIG", str(tmp_path / "missing.toml"))
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    Image.new("RGB", (4, 4)).save(tmp_path / "b.png")
    before = (tmp_path / "a.png").read_bytes()
    for argv in (
        ["label", "add", "a.png", "--producer", PRODUCER, "--label", "7"],
        ["label", "add", "a.png", "b.png", "--producer", PRODUCER, "--produce-id", "same"],
        ["label", "add", "a.png"],  # no producer, and HEGUI_CONFIG names a missing file (typer: exit 3)
        ["label", "show", "."],  # a folder without --recursive
    ):
        assert _fast.arguments(argv) is not None
        assert _fast.run(argv) is None, argv
    assert (tmp_path / "a.png").read_bytes() == before == (tmp_path / "b.png").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]


# ---- as users run it -------------------------------------------------------------------------------------------


def _modules_after(args: list[str], cwd: Path) -> set[str]:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['hegui', *{args!r}]\n"
        "try:\n    runpy.run_module('hegui', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True, timeout=120
    )
    return set(proc.stderr.split())


def _png(path: Path) -> Path:
    Image.new("RGB", (8, 8), (1, 2, 3)).save(path)
    return path


def test_label_show_and_add_import_no_other_wing_nor_typer(tmp_path: Path) -> None:
    _png(tmp_path / "a.png")
    runs = (
        ["label", "add", "a.png", "--producer", PRODUCER, "-o", "b.png"],
        ["label", "add", "a.png", "--producer", PRODUCER],
        ["label", "show", "a.png", "b.png", "--json"],
        ["label", "show", "a.png"],
    )
    for args in runs:
        loaded = _modules_after(args, tmp_path)
        assert "hegui.cli._label" in loaded, args  # the command ran
        wrong = {
            m
            for m in loaded
            if m.startswith(WINGS)
            or m.split(".")[0] in FRAMEWORK + HEAVY
            or m in ("hegui.cli.main", "hegui.cli.label")
        }
        assert not wrong, (args, sorted(wrong))
    assert (tmp_path / "b.png").is_file()


def _run(entry: list[str], args: list[str], cwd: Path) -> tuple[int, str, str]:
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, *entry, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )
    return proc.returncode, proc.stdout, proc.stderr


# the console entry point (fast path first) and the typer application alone
ENTRY = ["-m", "hegui"]
TYPER_APP = [
    "-c",
    "import sys; from hegui.cli.main import app; sys.argv[0] = 'hegui'; app(prog_name='hegui')",
]


def test_both_paths_print_and_write_the_same(tmp_path: Path) -> None:
    """The same runs through `python -m hegui` and through the typer app, in two copies of one folder: the same
    exit codes, output and files (ProduceIDs fixed by templates so that the runs can be compared)."""
    base = tmp_path / "base"
    (base / "in" / "sub").mkdir(parents=True)
    _png(base / "in" / "a.png")
    _png(base / "in" / "sub" / "b.png")
    (base / "in" / "notes.unknown").write_bytes(b"nobody labels this")
    (base / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    runs = [
        ["label", "show", "in/a.png", "junk.png"],
        ["label", "add", "in/a.png", "--producer", PRODUCER, "--produce-id", "one-{stem}"],
        [
            "label",
            "add",
            "-r",
            "in",
            "--producer",
            PRODUCER,
            "--produce-id",
            "{uuid5}",
            "--no-fsync",
            "--json",
        ],
        ["label", "add", "in/a.png", "--propagator", PLATFORM, "--propagate-id", "p-{n}", "-o", "out.png"],
        ["label", "add", "in/sub/b.png", "--producer", "001191110108MA01ABCD1E1XYZ1", "--produce-id", "f"],
        ["label", "show", "-rq", "in", "out.png", "--jsonl"],
        ["label", "show", "in/a.png", "out.png", "in/sub/b.png"],
    ]
    printed: dict[str, list[tuple[int, str, str]]] = {}
    written: dict[str, dict[str, bytes]] = {}
    for name, entry in (("fast", ENTRY), ("typer", TYPER_APP)):
        folder = tmp_path / name
        shutil.copytree(base, folder)
        printed[name] = [_run(entry, args, folder) for args in runs]
        written[name] = {
            str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
        }
    assert printed["fast"] == printed["typer"]
    assert written["fast"] == written["typer"]
    codes = [code for code, _out, _err in printed["fast"]]
    assert codes == [3, 0, 0, 0, 1, 0, 0], printed["fast"]
