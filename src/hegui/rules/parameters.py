"""Numeric parameters of the rules, each with its citation and verification status, read from one YAML file.

Keeping them in ``data/parameters.yaml`` (not in code) is how unverified (†) values stay easy to find and change.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from hegui.errors import InputError
from hegui.rules.yamlio import loads_yaml

Status = Literal["checked", "to_verify"]
MARK: dict[str, str] = {"checked": "✔", "to_verify": "†"}


class Parameter(BaseModel):
    """One value of the law: number (or string), unit, citation, ✔ / † status."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: int | float | str
    unit: str
    citation: str
    status: Status

    @property
    def mark(self) -> str:
        return MARK[self.status]


@functools.cache
def parameters() -> dict[str, Parameter]:
    """All parameters, validated once per process."""
    text = resources.files("hegui.rules").joinpath("data/parameters.yaml").read_text(encoding="utf-8")
    raw = loads_yaml(text, source="hegui/rules/data/parameters.yaml")
    out: dict[str, Parameter] = {}
    for name, body in raw.items():
        try:
            out[name] = Parameter.model_validate(body)
        except ValidationError as exc:
            raise InputError(f"parameter {name}: {exc}", path="hegui/rules/data/parameters.yaml") from None
    return out


def parameter(name: str) -> Parameter:
    """One parameter by name; an unknown name is a programming error worth a clear message."""
    try:
        return parameters()[name]
    except KeyError:
        raise InputError(
            f"unknown rules parameter {name!r}", path="hegui/rules/data/parameters.yaml"
        ) from None
