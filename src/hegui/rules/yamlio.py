"""Strict YAML loading for profiles, cases and the catalogue: safe loader only, duplicate and unhashable keys
rejected with their line, and hostile documents refused with a clear message (OpenFisca's strictness, and the
alias-expansion guard of the Markdown front-matter reader): an alias bomb, deep nesting or a huge integer is an
:class:`~hegui.errors.InputError`, never a hang or a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hegui.errors import InputError

MAX_NODES = 100_000  # the document with every alias expanded ("billion laughs" guard)
MAX_DEPTH = 100  # a profile is a few levels deep; 100 is far beyond any honest file
MAX_INT_DIGITS = 30  # counts and dates; a 5,000-digit integer is an attack, not a fact


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate and unhashable mapping keys and absurd integers."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value, not a list or mapping", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return dict(loader.construct_mapping(node, deep=deep))


def _construct_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    text = str(node.value)
    if sum(c.isdigit() for c in text) > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"integer with more than {MAX_INT_DIGITS} digits refused", node.start_mark
        )
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _check_shape(root: yaml.Node) -> None:
    """Expanded node count and depth, walked iteratively over the shared graph (aliases counted once per use)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if depth > MAX_DEPTH:
            raise ValueError(f"nests deeper than {MAX_DEPTH} levels")
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_NODES:
                raise ValueError(f"expands through aliases to over {MAX_NODES:,} nodes")
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise ValueError("refers to itself through an alias")
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def loads_yaml(text: str, *, source: str | Path = "<string>") -> Any:
    """Parse YAML text strictly; errors name the source and line."""
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_shape(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"invalid YAML{where}: {problem}", path=source) from None
    except ValueError as exc:
        raise InputError(f"refused YAML: the document {exc}", path=source) from None
    except RecursionError:
        raise InputError(
            f"refused YAML: the document nests deeper than {MAX_DEPTH} levels", path=source
        ) from None


def load_yaml(path: str | Path) -> Any:
    """Read and parse a YAML file strictly."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=p) from None
    return loads_yaml(text, source=p)
