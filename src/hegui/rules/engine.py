"""The engine: which duties bind a service on a given day, which facts triggered each, by when, the filing path,
the cross-border mechanism and the ethics-review triggers. Pure functions of a profile, a date and the catalogue.

Each decision (filing path, cross-border mechanism, ethics review) is computed once per assessment and shared by
the fact namespace, the findings and the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hegui.errors import InputError
from hegui.rules import calendar
from hegui.rules.catalogue import Catalogue, Duty, load_catalogue
from hegui.rules.crossborder import Mechanism, mechanism
from hegui.rules.decisions import EthicsReview, FilingPath, ethics_review, filing_path, rereview_list
from hegui.rules.expr import Expression
from hegui.rules.facts import base_facts
from hegui.rules.parameters import value_at
from hegui.rules.profile import ServiceProfile, load_profile, profile_from_mapping

__all__ = [
    "Assessment",
    "Deadline",
    "EthicsReview",
    "FilingPath",
    "Finding",
    "as_profile",
    "assess",
    "compute_deadline",
    "ethics_review",
    "filing_path",
    "rereview_list",
]


@dataclass(frozen=True)
class Deadline:
    """A computed due date, or why it could not be computed."""

    due: dt.date | None
    text: str
    from_fact: str
    problem: str | None = None
    text_zh: str = ""
    problem_zh: str | None = None


@dataclass(frozen=True)
class Finding:
    """One applicable duty and the facts that made it apply."""

    duty: Duty
    because: dict[str, Any]
    deadline: Deadline | None = None


@dataclass
class Assessment:
    """Everything ``hegui rules check`` reports for one profile on one day."""

    profile: ServiceProfile
    findings: list[Finding]
    filing: FilingPath
    crossborder: Mechanism
    ethics: EthicsReview
    roles: list[str]
    catalogue: Catalogue
    as_of: dt.date
    facts: dict[str, Any]

    @property
    def duty_ids(self) -> list[str]:
        return [f.duty.id for f in self.findings]

    @property
    def profile_hash(self) -> str:
        """SHA-256 of the profile's canonical JSON: which facts this assessment judged."""
        data = self.profile.model_dump(mode="json")
        for key, value in list(data.items()):
            if isinstance(value, list):
                data[key] = sorted(value, key=str)
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """A stable JSON shape for ``--json`` and the web API."""
        return {
            "service": self.profile.name,
            "as_of": self.as_of.isoformat(),
            "catalogue_digest": self.catalogue.digest,
            "profile_sha256": self.profile_hash,
            "roles": self.roles,
            "filing_path": self.filing.genai,
            "algorithm_filing": self.filing.algorithm_filing,
            "display_required": self.filing.display_required,
            "filing_reasons": self.filing.reasons_in("en"),
            "cbdt_mechanism": self.crossborder.code,
            "cbdt_article": self.crossborder.article,
            "cbdt_reasons": self.crossborder.reasons_in("en"),
            "ethics": {
                "review_required": self.ethics.review_required,
                "committee_required": self.ethics.committee_required,
                "expert_rereview": self.ethics.expert_rereview,
                "rereview_items": self.ethics.rereview_items,
                "entrust_other_committee": self.ethics.entrust_other_committee,
            },
            "duties": [
                {
                    "id": f.duty.id,
                    "instrument": f.duty.instrument,
                    "article": f.duty.article,
                    "kind": f.duty.kind,
                    "status": f.duty.status,
                    "mark": f.duty.mark,
                    "citation": f.duty.citation,
                    "duty_en": f.duty.duty.en,
                    "duty_zh": f.duty.duty.zh,
                    "when": f.duty.when.en if f.duty.when else None,
                    "trigger": f.duty.trigger,
                    "because": {k: _jsonable(v) for k, v in f.because.items()},
                    "deadline": None
                    if f.deadline is None
                    else {
                        "due": f.deadline.due.isoformat() if f.deadline.due else None,
                        "text": f.deadline.text,
                        "problem": f.deadline.problem,
                    },
                    "evidence": f.duty.evidence,
                }
                for f in self.findings
            ],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def evaluate_facts(
    profile: ServiceProfile,
    catalogue: Catalogue,
    *,
    filing: FilingPath | None = None,
    crossborder: Mechanism | None = None,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Profile facts, computed decisions and bases, ready for triggers."""
    facts = base_facts(
        profile,
        filing=filing or filing_path(profile),
        crossborder=crossborder or mechanism(profile.cross_border, as_of),
        as_of=as_of,
    )
    for name, expr in catalogue.bases.items():
        facts[name] = expr.evaluate(facts)
    return facts


def effective_roles(profile: ServiceProfile, facts: dict[str, Any]) -> list[str]:
    """Declared roles plus the roles that follow from facts (PI handler, research unit, committee...)."""
    roles = {r.value for r in profile.roles} | {"any", "network_operator"}
    if facts.get("processes_pi"):
        roles.add("pi_handler")
    if facts.get("ethics_review_required"):
        roles.add("research_unit")
    if profile.has_ethics_committee:
        roles.add("committee")
    return sorted(roles)


def _leaves(expr: Expression, catalogue: Catalogue, seen: set[str] | None = None) -> list[tuple[str, bool]]:
    """Names a trigger reads, bases expanded, each with whether it sits under a ``not``."""
    seen = seen if seen is not None else set()
    out: list[tuple[str, bool]] = []
    for name in sorted(expr.names):
        if name in seen:
            continue
        seen.add(name)
        out.append((name, name in expr.negated))
        if name in catalogue.bases:
            out.extend(_leaves(catalogue.bases[name], catalogue, seen))
    return out


def _because(expr: Expression, facts: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    """The facts a trigger read (bases expanded) that made it hold: those that are set, and those under a
    ``not`` (whose being unset is the reason). Unset facts that played no part are left out."""
    out: dict[str, Any] = {}
    for name, negated in _leaves(expr, catalogue):
        value = facts.get(name)
        if not negated and value in (False, None, 0, "", frozenset(), "none", "no_transfer"):
            continue
        out[name] = value
    return out


def compute_deadline(duty: Duty, profile: ServiceProfile, as_of: dt.date | None = None) -> Deadline | None:
    """Due date from the duty's date fact, in PRC working days or calendar days; the number of days is the one
    in force on the start date (a changed time limit keeps its past values)."""
    dl = duty.deadline
    if dl is None:
        return None
    start = getattr(profile, dl.from_fact)
    if start is None:
        return Deadline(
            None,
            dl.text.en,
            dl.from_fact,
            problem=f"set {dl.from_fact} in the profile to compute it",
            text_zh=dl.text.zh,
            problem_zh=f"请在服务事实中填写 {dl.from_fact} 以计算期限",
        )
    try:
        if dl.working_days is not None or dl.working_days_parameter is not None:
            n = (
                dl.working_days
                if dl.working_days is not None
                else int(value_at(str(dl.working_days_parameter), start))
            )
            due = calendar.add_working_days(start, n)
        else:
            n = (
                dl.calendar_days
                if dl.calendar_days is not None
                else int(value_at(str(dl.calendar_days_parameter), start))
            )
            due = start + dt.timedelta(days=n)
    except calendar.CalendarRangeError as exc:
        return Deadline(
            None, dl.text.en, dl.from_fact, problem=exc.detail, text_zh=dl.text.zh, problem_zh=exc.detail_zh
        )
    except InputError as exc:
        return Deadline(
            None,
            dl.text.en,
            dl.from_fact,
            problem=exc.detail,
            text_zh=dl.text.zh,
            problem_zh="该日期无适用参数",
        )
    return Deadline(due, dl.text.en, dl.from_fact, text_zh=dl.text.zh)


def as_profile(profile: ServiceProfile | Mapping[str, Any] | str | Path) -> ServiceProfile:
    """A profile from a :class:`ServiceProfile`, a mapping of facts, or the path of a profile YAML file."""
    if isinstance(profile, ServiceProfile):
        return profile
    if isinstance(profile, Mapping):
        return profile_from_mapping(dict(profile))
    if isinstance(profile, str | Path):
        return load_profile(profile)
    raise InputError(
        f"assess() takes a ServiceProfile, a mapping of facts or a path, not {type(profile).__name__}"
    )


def assess(
    profile: ServiceProfile | Mapping[str, Any] | str | Path,
    catalogue: Catalogue | None = None,
    *,
    as_of: dt.date | None = None,
) -> Assessment:
    """Apply the catalogue to a profile as the rules stood on ``as_of`` (today when not given).

    A duty applies when its instrument is in force on that day, its own validity covers the day, one of the
    roles it binds is held, and its trigger holds.
    """
    prof = as_profile(profile)
    day = as_of or dt.date.today()
    cat = catalogue or load_catalogue()
    filing = filing_path(prof)
    cross = mechanism(prof.cross_border, day)
    ethics = ethics_review(prof)
    facts = evaluate_facts(prof, cat, filing=filing, crossborder=cross, as_of=day)
    roles = effective_roles(prof, facts)
    findings: list[Finding] = []
    for duty_id, duty in cat.duties.items():
        if not duty.in_force_on(day):
            continue
        start = cat.instruments[duty.instrument].in_force_date
        if start is not None and day < start:
            continue
        if not set(duty.binds) & set(roles):
            continue
        expr = cat.triggers[duty_id]
        if not expr.evaluate(facts):
            continue
        findings.append(
            Finding(duty=duty, because=_because(expr, facts, cat), deadline=compute_deadline(duty, prof, day))
        )
    order = {d: i for i, d in enumerate(cat.duties)}
    findings.sort(key=lambda f: (cat.instruments[f.duty.instrument].number, order[f.duty.id]))
    return Assessment(
        profile=prof,
        findings=findings,
        filing=filing,
        crossborder=cross,
        ethics=ethics,
        roles=roles,
        catalogue=cat,
        as_of=day,
        facts=facts,
    )
