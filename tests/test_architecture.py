"""The house plan (docs/architecture.md), enforced: every import in src/hegui goes down the layers or stays in its
own wing. Lazy imports inside functions count too: a lazy upward import is still an upward import.

Layers, lowest first. A module may import its own wing and any lower layer, never a sibling or anything higher.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# (prefix, layer). Longest prefix wins, so hegui.label.platform sits above hegui.label.
LAYERS: tuple[tuple[str, int], ...] = (
    ("hegui", 0),  # the package itself (__version__), this name only
    ("hegui.errors", 0),
    ("hegui.atomic", 0),
    ("hegui.checkdigits", 0),
    ("hegui.config", 0),
    ("hegui.results", 0),
    ("hegui.extras", 0),
    ("hegui.stats", 0),  # proportions and intervals shared by assess, corpus and the dashboard
    ("hegui.store", 1),
    ("hegui.label", 2),
    ("hegui.screen", 2),
    ("hegui.rules", 2),
    ("hegui.assess", 3),
    ("hegui.corpus", 3),
    ("hegui.label.platform", 3),
    ("hegui.gateway", 4),
    ("hegui.web", 5),  # the dashboard shows what the gateway logged; the gateway never imports it
    ("hegui.cli", 6),
    ("hegui.__main__", 7),  # the console entry point: the one importer of hegui.cli
)

# Violations on main when the contract was introduced, each with the wing that removes it. The test fails when one
# disappears (delete the line) as well as when a new one appears.
KNOWN: frozenset[tuple[str, str]] = frozenset()


def wing_of(module: str) -> tuple[str, int]:
    """The prefix that owns ``module`` (its wing) and that wing's layer."""
    best = ("", -1)
    for prefix, layer in LAYERS:
        inside = module == prefix or (prefix != "hegui" and module.startswith(prefix + "."))
        if inside and len(prefix) > len(best[0]):
            best = (prefix, layer)
    if best[1] < 0:
        raise KeyError(f"{module} is in no layer: add its wing to LAYERS and docs/architecture.md")
    return best


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every hegui import in a file, relative imports resolved."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "hegui"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "hegui":
                continue
            # ``from hegui import cli`` / ``from hegui.screen import service`` import submodules
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                sub = root.joinpath(*candidate.split("."))
                out.append(
                    (candidate if sub.is_dir() or sub.with_suffix(".py").is_file() else target, node.lineno)
                )
    return out


def violations(root: Path) -> list[tuple[str, str]]:
    """(``importer:line``, imported) pairs that break the layering, for every module under ``root``/hegui."""
    found: list[tuple[str, str]] = []
    for path in sorted((root / "hegui").rglob("*.py")):
        if "migrations" in path.parts and "versions" in path.parts:
            continue
        importer = _module_name(path, root)
        src_wing, src_layer = wing_of(importer)
        for target, line in imports_of(path, root):
            dst_wing, dst_layer = wing_of(target)
            if dst_wing == src_wing or dst_layer < src_layer or dst_layer == src_layer == 0:
                continue  # own wing, lower layer, or ground utilities using each other
            if src_wing.startswith(dst_wing + ".") and dst_layer < src_layer:
                continue
            found.append((f"{importer}:{line}", target))
    return found


def _without_lines(found: list[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(where.rsplit(":", 1)[0], target) for where, target in found}


def test_every_module_is_in_a_layer() -> None:
    for path in (SRC / "hegui").rglob("*.py"):
        wing_of(_module_name(path, SRC))


def test_imports_follow_the_layers() -> None:
    found = violations(SRC)
    new = sorted(v for v in found if (v[0].rsplit(":", 1)[0], v[1]) not in KNOWN)
    assert not new, "imports against docs/architecture.md:\n" + "\n".join(
        f"  {w} imports {t}" for w, t in new
    )
    fixed = KNOWN - _without_lines(found)
    assert not fixed, f"these known violations are gone; delete them from KNOWN: {sorted(fixed)}"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_check_catches_real_violations(tmp_path: Path) -> None:
    """A small package tree with one import of each forbidden kind (upward, sibling, into the CLI, lazy, relative)."""
    root = _tree(
        tmp_path,
        {
            "hegui/__init__.py": "",
            "hegui/errors.py": "from hegui.store import x\n",  # ground → store: upward
            "hegui/store/__init__.py": "import hegui.errors\n",  # fine
            "hegui/label/__init__.py": "from hegui.screen.matcher import M\n",  # sibling
            "hegui/label/platform/__init__.py": "from hegui.screen import lexicon\nfrom .. import record\n",  # fine
            "hegui/label/record.py": "def f():\n    from .platform import p\n",  # lazy, relative, upward
            "hegui/screen/__init__.py": "",
            "hegui/screen/lexicon.py": "",
            "hegui/screen/matcher.py": "from hegui import cli\n",  # into the CLI
            "hegui/rules/__init__.py": "from hegui.store import session\nfrom hegui.results import Finding\n",
            "hegui/cli/__init__.py": "from hegui.rules import x\n",  # fine
        },
    )
    found = sorted(violations(root))
    assert found == [
        ("hegui.errors:1", "hegui.store"),
        ("hegui.label.record:2", "hegui.label.platform"),
        ("hegui.label:1", "hegui.screen.matcher"),
        ("hegui.screen.matcher:1", "hegui.cli"),
    ], found


def test_the_test_fails_on_a_real_violation_in_src(tmp_path: Path) -> None:
    """Copy src/hegui, add one upward import to a real module, and run this file's test on the copy."""
    import shutil

    shutil.copytree(SRC / "hegui", tmp_path / "hegui", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    target = tmp_path / "hegui" / "checkdigits.py"
    target.write_text(
        target.read_text(encoding="utf-8") + "\nfrom hegui.cli.main import app  # noqa\n", encoding="utf-8"
    )
    new = [v for v in violations(tmp_path) if (v[0].rsplit(":", 1)[0], v[1]) not in KNOWN]
    assert [t for _, t in new] == ["hegui.cli.main"]
    assert new[0][0].startswith("hegui.checkdigits:")


if __name__ == "__main__":  # python tests/test_architecture.py: list every violation
    for where, target in violations(SRC):
        print(f"{where} imports {target}")
    sys.exit(pytest.main([__file__, "-q"]))
