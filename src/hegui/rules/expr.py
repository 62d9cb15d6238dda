"""Trigger expressions: a tiny, safe subset of Python syntax over named facts.

Allowed: fact names (dotted for nested facts, e.g. ``cross_border.is_ciio``), ``and`` / ``or`` / ``not``,
comparisons (``== != < <= > >= in``, ``not in``), string / number / bool constants and parentheses.
Nothing is ever passed to ``eval``; the tree is walked here, so a catalogue cannot run code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hegui.errors import InputError

_CMP: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


@dataclass(frozen=True)
class Expression:
    """A parsed trigger: its source text, its tree and the fact names it reads."""

    source: str
    tree: ast.expr
    names: frozenset[str]
    negated: frozenset[str] = frozenset()

    def evaluate(self, facts: Mapping[str, Any]) -> bool:
        """True when the trigger holds for these facts (non-empty sets count as true)."""
        return bool(_eval(self.tree, facts, self.source))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def parse(source: str, *, where: str = "trigger") -> Expression:
    """Parse and check the syntax whitelist; unknown names are checked by the catalogue, not here."""
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise InputError(f"{where}: cannot parse {source!r}: {exc.msg}") from None
    names: set[str] = set()
    negated: set[str] = set()

    def check(node: ast.expr, under_not: bool = False) -> None:
        dotted = _dotted(node)
        if dotted is not None:
            names.add(dotted)
            if under_not:
                negated.add(dotted)
            return
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                check(v, under_not)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            check(node.operand, True)
        elif isinstance(node, ast.Compare):
            if not all(type(op) in _CMP for op in node.ops):
                raise InputError(f"{where}: unsupported comparison in {source!r}")
            check(node.left, under_not)
            for c in node.comparators:
                check(c, under_not)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str | int | bool | type(None)):
            return
        elif isinstance(node, ast.Set | ast.Tuple | ast.List):
            for e in node.elts:
                check(e, under_not)
        else:
            raise InputError(f"{where}: {type(node).__name__} is not allowed in a trigger ({source!r})")

    check(tree)
    return Expression(source=source.strip(), tree=tree, names=frozenset(names), negated=frozenset(negated))


def _eval(node: ast.expr, facts: Mapping[str, Any], source: str) -> Any:
    dotted = _dotted(node)
    if dotted is not None:
        if dotted in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[dotted]
        try:
            return facts[dotted]
        except KeyError:
            raise InputError(f"trigger {source!r} names the unknown fact {dotted!r}") from None
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, facts, source) for v in node.values)
        return any(_eval(v, facts, source) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return not _eval(node.operand, facts, source)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, facts, source)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, facts, source)
            if not _CMP[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Set | ast.Tuple | ast.List):
        return {_eval(e, facts, source) for e in node.elts}
    raise InputError(f"trigger {source!r}: cannot evaluate {type(node).__name__}")
