"""The catalogue: instruments, base triggers and duties as schema-validated YAML under ``data/``.

Loading checks what a reviewer would: unique ids, every duty's instrument exists, every trigger parses and names
only known facts, deadlines point at a date fact, and ✔ / † status is present on every record.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hegui.errors import InputError
from hegui.rules.expr import Expression, parse
from hegui.rules.facts import COMPUTED, DATE_FACTS, PROFILE_FACTS
from hegui.rules.parameters import MARK, Status, parameters
from hegui.rules.yamlio import loads_yaml

Binder = Literal[
    "provider",
    "technical_supporter",
    "user",
    "content_platform",
    "app_store",
    "research_unit",
    "pi_handler",
    "committee",
    "network_operator",
    "any",
]
Kind = Literal["duty", "prohibition", "checklist", "decision", "note"]
Role_ = Literal[
    "duties",
    "technical_spec",
    "decision_table",
    "evidence_thresholds",
    "checklist",
    "definitions",
    "context",
    "liability",
    "sector",
    "legal_basis",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Instrument(_Model):
    """A law, rule, standard, campaign or policy the guide names (reference §1), with its role in hegui."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    number: int = Field(ge=1, description="row of the coverage table, reference §1")
    title: Text
    short: str
    kind: str
    binding: str
    in_force: str | None = None
    role: Role_
    status: Status
    source: str
    cite: Text | None = Field(default=None, description="formal citation for reports (title, issuer, number)")
    notes: Text | None = None

    @property
    def in_force_date(self) -> dt.date | None:
        """``in_force`` as a date when it is one (some entries say only a year or a period)."""
        try:
            return dt.date.fromisoformat(self.in_force) if self.in_force else None
        except ValueError:
            return None

    @property
    def mark(self) -> str:
        return MARK[self.status]


class Deadline(_Model):
    """A time limit counted from a date fact: working days (possibly a named parameter) or calendar days."""

    working_days: int | None = None
    working_days_parameter: str | None = None
    calendar_days: int | None = None
    calendar_days_parameter: str | None = None
    from_fact: str
    text: Text

    @model_validator(mode="after")
    def _one_count(self) -> Deadline:
        given = [
            self.working_days,
            self.working_days_parameter,
            self.calendar_days,
            self.calendar_days_parameter,
        ]
        if sum(v is not None for v in given) != 1:
            raise ValueError("give exactly one of working_days(_parameter) / calendar_days(_parameter)")
        return self


class Duty(_Model):
    """One obligation of reference §3: who, when, what, what proves it, where it comes from, how sure we are."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Za-z0-9.]+)+$")
    instrument: str
    article: str
    binds: list[Binder] = Field(min_length=1)
    trigger: str = Field(min_length=1)
    when: Text | None = None
    kind: Kind = "duty"
    duty: Text
    evidence: list[str] = Field(default_factory=list)
    citation: str
    citation_zh: str | None = None
    status: Status
    deadline: Deadline | None = None
    maps_to: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    evidence_zh: list[str] | None = None

    @property
    def mark(self) -> str:
        return MARK[self.status]

    def in_force_on(self, day: dt.date) -> bool:
        """Whether this version of the duty is law on ``day`` (both ends included)."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_until is not None and day > self.valid_until)


class Base(_Model):
    expr: str
    description: str


@dataclass
class Catalogue:
    """The loaded catalogue, with parsed triggers and bases in evaluation order."""

    instruments: dict[str, Instrument]
    duties: dict[str, Duty]
    bases: dict[str, Expression]
    base_docs: dict[str, str]
    triggers: dict[str, Expression] = field(default_factory=dict)
    digest: str = ""

    def duty(self, duty_id: str) -> Duty:
        """A duty by id, case-insensitively (``gai-09b`` finds ``GAI-09b``)."""
        by_upper = {d.upper(): d for d in self.duties}
        try:
            return self.duties[by_upper[duty_id.upper()]]
        except KeyError:
            near = [d for d in self.duties if d.startswith(duty_id.upper().split("-")[0])][:8]
            hint = f"; ids with that prefix: {', '.join(near)}" if near else ""
            raise InputError(f"no duty {duty_id!r} in the catalogue{hint}") from None

    def known_facts(self) -> set[str]:
        return set(PROFILE_FACTS) | set(COMPUTED) | set(self.bases)

    def counts(self) -> dict[str, int]:
        """Coverage numbers for reports and the closing note."""
        duties = list(self.duties.values())
        return {
            "instruments": len(self.instruments),
            "duties": len(duties),
            "duties_to_verify": sum(d.status == "to_verify" for d in duties),
            "instruments_to_verify": sum(i.status == "to_verify" for i in self.instruments.values()),
        }


def _read(entry: Traversable, where: str) -> Any:
    return loads_yaml(entry.read_text(encoding="utf-8"), source=where)


def build_catalogue(
    instruments_raw: Any, bases_raw: Any, duty_files: list[tuple[str, Any]], *, where: str = "catalogue"
) -> Catalogue:
    """Validate raw YAML data into a :class:`Catalogue` (separate from loading so tests can feed broken data)."""
    instruments: dict[str, Instrument] = {}
    for i, body in enumerate(instruments_raw or []):
        try:
            inst = Instrument.model_validate(body)
        except ValidationError as exc:
            raise InputError(
                f"instrument #{i + 1}: {_short(exc)}", path=f"{where}/instruments.yaml"
            ) from None
        if inst.id in instruments:
            raise InputError(f"duplicate instrument id {inst.id}", path=f"{where}/instruments.yaml")
        instruments[inst.id] = inst

    known: set[str] = set(PROFILE_FACTS) | set(COMPUTED)
    bases: dict[str, Expression] = {}
    docs: dict[str, str] = {}
    for name, body in (bases_raw or {}).items():
        try:
            base = Base.model_validate(body)
        except ValidationError as exc:
            raise InputError(f"base {name}: {_short(exc)}", path=f"{where}/bases.yaml") from None
        expr = parse(base.expr, where=f"base {name}")
        unknown = expr.names - known - {"True", "False", "None"}
        if unknown:
            raise InputError(
                f"base {name} names unknown fact(s) {sorted(unknown)}", path=f"{where}/bases.yaml"
            )
        bases[name] = expr
        docs[name] = base.description
        known.add(name)

    params = parameters()
    duties: dict[str, Duty] = {}
    triggers: dict[str, Expression] = {}
    for fname, raw in duty_files:
        path = f"{where}/duties/{fname}"
        if not isinstance(raw, dict) or "duties" not in raw:
            raise InputError(
                "a duty file is a mapping with `instrument` (default) and `duties` (list)", path=path
            )
        default_instrument = raw.get("instrument")
        for i, body in enumerate(raw["duties"] or []):
            if isinstance(body, dict) and "instrument" not in body and default_instrument:
                body = {"instrument": default_instrument, **body}
            try:
                duty = Duty.model_validate(body)
            except ValidationError as exc:
                ident = body.get("id", f"#{i + 1}") if isinstance(body, dict) else f"#{i + 1}"
                raise InputError(f"duty {ident}: {_short(exc)}", path=path) from None
            if duty.id in duties:
                raise InputError(f"duplicate duty id {duty.id}", path=path)
            if duty.instrument not in instruments:
                raise InputError(f"duty {duty.id}: unknown instrument {duty.instrument!r}", path=path)
            expr = parse(duty.trigger, where=f"duty {duty.id} trigger")
            unknown = expr.names - known - {"True", "False", "None"}
            if unknown:
                raise InputError(
                    f"duty {duty.id}: trigger names unknown fact(s) {sorted(unknown)}", path=path
                )
            if duty.deadline is not None:
                dl = duty.deadline
                if dl.from_fact not in DATE_FACTS:
                    raise InputError(
                        f"duty {duty.id}: deadline counts from {dl.from_fact!r}, not a date fact", path=path
                    )
                for pname in (dl.working_days_parameter, dl.calendar_days_parameter):
                    if pname is not None and pname not in params:
                        raise InputError(f"duty {duty.id}: unknown parameter {pname!r}", path=path)
            duties[duty.id] = duty
            triggers[duty.id] = expr
    for duty in duties.values():
        for ref in duty.maps_to:
            if ref not in duties:
                raise InputError(f"duty {duty.id}: maps_to names unknown duty {ref}", path=where)
    return Catalogue(instruments=instruments, duties=duties, bases=bases, base_docs=docs, triggers=triggers)


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())


@functools.cache
def load_catalogue() -> Catalogue:
    """The bundled catalogue, validated once per process."""
    root = resources.files("hegui.rules").joinpath("data")
    where = "hegui/rules/data"
    instruments_raw = _read(root.joinpath("instruments.yaml"), f"{where}/instruments.yaml")
    bases_raw = _read(root.joinpath("bases.yaml"), f"{where}/bases.yaml")
    files = sorted(
        (e for e in root.joinpath("duties").iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name
    )
    duty_files = [(e.name, _read(e, f"{where}/duties/{e.name}")) for e in files]
    cat = build_catalogue(instruments_raw, bases_raw, duty_files, where=where)
    h = hashlib.sha256()
    for entry in [
        root.joinpath("instruments.yaml"),
        root.joinpath("bases.yaml"),
        root.joinpath("parameters.yaml"),
        *files,
    ]:
        h.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    cat.digest = h.hexdigest()
    return cat
