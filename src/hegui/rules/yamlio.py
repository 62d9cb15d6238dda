"""Strict YAML loading: safe loader only, duplicate keys rejected with their line (OpenFisca's habit, not its CLoader)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hegui.errors import InputError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return dict(loader.construct_mapping(node, deep=deep))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def loads_yaml(text: str, *, source: str | Path = "<string>") -> Any:
    """Parse YAML text strictly; errors name the source and line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=source) from None


def load_yaml(path: str | Path) -> Any:
    """Read and parse a YAML file strictly."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=p) from None
    return loads_yaml(text, source=p)
