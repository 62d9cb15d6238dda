"""One result vocabulary for every wing: a :class:`Finding` shape, the ``to_dict()`` convention, and the
``--json`` envelope every command prints.

Convention: a result object has ``to_dict() -> dict`` with JSON-ready values only (str, int, float, bool, None,
lists and dicts of those); keys are snake_case; spans are ``[start, end)`` character offsets in the original text
(or byte offsets for files, said in ``unit``); absent optional values are left out rather than ``null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from hegui import __version__

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@runtime_checkable
class ToDict(Protocol):
    """Anything hegui returns as a result."""

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Span:
    """Where a finding is: ``[start, end)`` in the original text (``unit="char"``) or in a file (``unit="byte"``)."""

    start: int
    end: int
    unit: Literal["char", "byte"] = "char"

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "unit": self.unit}


@dataclass(frozen=True)
class Finding:
    """One thing a check found.

    ``code`` is a stable machine name (``keyword``, ``pii.resident_id``, ``label.uscc-check-digit``);
    ``source`` names the checker (``matcher``, ``pii``, ``classifier``, ``refusal``, ``label``, ``rules``);
    ``where`` is a human location (a file, a field, a rule id) and ``span`` a precise one; ``data`` carries the
    checker's own details (the keyword and its risks, a score, a masked value).
    """

    code: str
    severity: Severity
    message: str
    source: str
    span: Span | None = None
    where: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "source": self.source,
        }
        if self.span is not None:
            out["span"] = self.span.to_dict()
        if self.where is not None:
            out["where"] = self.where
        if self.data:
            out["data"] = to_jsonable(self.data)
        return out


def to_jsonable(value: Any) -> Any:
    """Turn results (anything with ``to_dict``), mappings, sequences and paths into JSON-ready values."""
    if isinstance(value, ToDict):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def envelope(payload: Mapping[str, Any] | ToDict, **identity: Any) -> dict[str, Any]:
    """The top-level object of every ``--json`` output: ``hegui_version``, then identity, then the payload.

    ``identity`` names what the result was checked against (``lexicon={name, version, entries, digest}``,
    ``catalogue={version, digest}``); ``None`` values are left out. Payload keys may not shadow those.
    """
    body = payload.to_dict() if isinstance(payload, ToDict) else dict(payload)
    out: dict[str, Any] = {"hegui_version": __version__}
    for key, value in identity.items():
        if value is not None:
            out[key] = to_jsonable(value)
    clash = sorted(set(out) & set(body))
    if clash:
        raise ValueError(f"payload keys {clash} clash with the envelope")
    out.update(to_jsonable(body))
    return out
