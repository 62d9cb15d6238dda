"""Numeric parameters of the rules, each with its citation, verification status and history, read from one YAML file.

OpenFisca's dated parameters are the model: a parameter holds ``values`` keyed by the date each value took effect,
so a changed threshold keeps its past values and a profile is judged with the value in force on its assessment
date. Keeping them in ``data/parameters.yaml`` (not in code) is how unverified (†) values stay easy to find and change.
"""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hegui.errors import InputError
from hegui.rules.yamlio import loads_yaml

Status = Literal["checked", "to_verify"]
MARK: dict[str, str] = {"checked": "✔", "to_verify": "†"}
Value = int | float | str


class Parameter(BaseModel):
    """One value of the law over time: values by start date, unit (en, zh), citation (en, zh), ✔ / † status."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    values: dict[dt.date, Value] = Field(min_length=1)
    unit: str
    unit_zh: str
    citation: str
    citation_zh: str
    status: Status

    @model_validator(mode="before")
    @classmethod
    def _single_value(cls, data: object) -> object:
        """``value: X`` is shorthand for a value in force since the beginning of time."""
        if isinstance(data, dict) and "value" in data:
            data = dict(data)
            if "values" in data:
                raise ValueError("give either value or values, not both")
            data["values"] = {dt.date.min: data.pop("value")}
        return data

    @property
    def mark(self) -> str:
        return MARK[self.status]

    @property
    def value(self) -> Value:
        """The latest value (for listings); judge a case with :meth:`at`."""
        return self.values[max(self.values)]

    def at(self, as_of: dt.date) -> Value:
        """The value in force on ``as_of``; a date before the first value is an input error."""
        starts = sorted(d for d in self.values if d <= as_of)
        if not starts:
            first = min(self.values)
            raise InputError(f"this parameter has no value before {first.isoformat()} (asked for {as_of})")
        return self.values[starts[-1]]

    def history(self) -> list[tuple[dt.date | None, Value]]:
        """(start, value) pairs, oldest first; ``None`` for a value with no known start."""
        return [(None if d == dt.date.min else d, v) for d, v in sorted(self.values.items())]


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
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise InputError(
                f"parameter {name}: {problems}", path="hegui/rules/data/parameters.yaml"
            ) from None
    return out


def parameter(name: str) -> Parameter:
    """One parameter by name; an unknown name is a programming error worth a clear message."""
    try:
        return parameters()[name]
    except KeyError:
        raise InputError(
            f"unknown rules parameter {name!r}", path="hegui/rules/data/parameters.yaml"
        ) from None


def value_at(name: str, as_of: dt.date | None = None) -> Value:
    """Shorthand: the value of ``name`` in force on ``as_of`` (today when not given)."""
    p = parameter(name)
    try:
        return p.at(as_of or dt.date.today())
    except InputError as exc:
        raise InputError(f"parameter {name}: {exc.detail}") from None
