"""The engine: which duties bind a service, which facts triggered each, by when, the filing path, the
cross-border mechanism and the ethics-review triggers. Pure functions of a profile and the catalogue.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from hegui.rules import calendar
from hegui.rules.catalogue import Catalogue, Duty, load_catalogue
from hegui.rules.crossborder import Mechanism, mechanism
from hegui.rules.expr import Expression
from hegui.rules.parameters import parameter
from hegui.rules.profile import ServiceProfile
from hegui.rules.yamlio import loads_yaml


@dataclass(frozen=True)
class FilingPath:
    """备案 filing vs 登记 registration for GenAI, and whether algorithm filing applies (reference §3.8)."""

    genai: str  # "filing" | "registration" | "none"
    algorithm_filing: bool
    display_required: bool
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EthicsReview:
    """Ethics Review Measures triggers (reference §3.5)."""

    review_required: bool
    committee_required: bool
    expert_rereview: bool
    rereview_items: list[int]
    entrust_other_committee: bool
    reasons: list[str] = field(default_factory=list)


@functools.cache
def rereview_list() -> dict[int, tuple[str, str]]:
    """The 7-item expert re-review list (zh, en), from ``data/ethics_rereview_list.yaml`` (†)."""
    text = (
        resources.files("hegui.rules").joinpath("data/ethics_rereview_list.yaml").read_text(encoding="utf-8")
    )
    raw = loads_yaml(text, source="hegui/rules/data/ethics_rereview_list.yaml")
    return {int(k): (str(v["zh"]), str(v["en"])) for k, v in raw["items"].items()}


@dataclass(frozen=True)
class Deadline:
    """A computed due date, or why it could not be computed."""

    due: dt.date | None
    text: str
    from_fact: str
    problem: str | None = None


@dataclass(frozen=True)
class Finding:
    """One applicable duty and the facts that made it apply."""

    duty: Duty
    because: dict[str, Any]
    deadline: Deadline | None = None


@dataclass
class Assessment:
    """Everything ``hegui rules check`` reports for one profile."""

    profile: ServiceProfile
    findings: list[Finding]
    filing: FilingPath
    crossborder: Mechanism
    ethics: EthicsReview
    roles: list[str]
    catalogue: Catalogue

    @property
    def duty_ids(self) -> list[str]:
        return [f.duty.id for f in self.findings]

    def to_json(self) -> dict[str, Any]:
        """A stable JSON shape for ``--json`` and the web API."""
        return {
            "service": self.profile.name,
            "roles": self.roles,
            "filing_path": self.filing.genai,
            "algorithm_filing": self.filing.algorithm_filing,
            "display_required": self.filing.display_required,
            "filing_reasons": self.filing.reasons,
            "cbdt_mechanism": self.crossborder.code,
            "cbdt_article": self.crossborder.article,
            "cbdt_reasons": self.crossborder.reasons,
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


def filing_path(profile: ServiceProfile, *, facts_hint: dict[str, Any] | None = None) -> FilingPath:
    """Decide the GenAI filing path: 备案 for own / fine-tuned models served to the public with public-opinion
    attributes, 登记 for apps that only call an already-filed model; algorithm filing for ALG / DS services with
    public-opinion attributes (Algo Art. 24, DS Art. 19, GenAI Art. 17).
    """
    public = profile.offered_to_public_in_mainland
    gai = public and bool(profile.output_modalities)
    alg = public and bool(profile.algorithm_types)
    ds = profile.is_deep_synthesis and (public or "technical_supporter" in {r.value for r in profile.roles})
    po = profile.public_opinion_or_mobilisation
    reasons: list[str] = []
    genai = "none"
    if gai and po:
        if profile.serves_model_via_api_of_filed_model and not profile.own_foundation_model:
            genai = "registration"
            reasons.append(
                "GenAI service with public-opinion attributes that only calls an already-filed model: 登记"
            )
        else:
            genai = "filing"
            why = "own foundation model" if profile.own_foundation_model else "own or fine-tuned model"
            reasons.append(
                f"GenAI service with public-opinion attributes on its {why}: 备案 + TC260-003 assessment"
            )
    elif gai:
        reasons.append(
            "GenAI service without public-opinion or mobilisation capability: no filing under Art. 17"
        )
    elif profile.output_modalities and not public:
        reasons.append("not offered to the public in the mainland: outside the GenAI Measures (Art. 2)")
    algorithm_filing = (alg or ds or gai) and po
    if algorithm_filing:
        reasons.append(
            "public-opinion or mobilisation capability: algorithm filing within 10 working days of launch"
        )
    return FilingPath(
        genai=genai,
        algorithm_filing=algorithm_filing,
        display_required=genai != "none" or algorithm_filing,
        reasons=reasons,
    )


def ethics_review(profile: ServiceProfile) -> EthicsReview:
    """Ethics triggers: review for Art. 2 activities; committee only for ethics-sensitive areas (Art. 4, not
    for every AI entity as the seed says); expert re-review for items on the 7-item list (Art. 25)."""
    items = sorted(profile.rd_on_expert_review_list)
    review = profile.rd_activity_in_ethics_scope or profile.rd_in_ethics_sensitive_area or bool(items)
    reasons = []
    if profile.rd_activity_in_ethics_scope:
        reasons.append("S&T activity within Art. 2 (human participants incl. PI data, or ethical risks)")
    if profile.rd_in_ethics_sensitive_area:
        reasons.append("AI research touching ethics-sensitive areas: committee required (Art. 4)")
    listed = rereview_list()
    for item in items:
        reasons.append(
            f"expert re-review list item {item} † ({listed[item][1]}): expert re-review after approval"
        )
    return EthicsReview(
        review_required=review,
        committee_required=profile.rd_in_ethics_sensitive_area,
        expert_rereview=bool(items),
        rereview_items=items,
        entrust_other_committee=review and not profile.has_ethics_committee,
        reasons=reasons,
    )


def evaluate_facts(profile: ServiceProfile, catalogue: Catalogue) -> dict[str, Any]:
    """Profile facts, computed decisions and bases, ready for triggers."""
    from hegui.rules.facts import base_facts

    facts = base_facts(profile)
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


def compute_deadline(duty: Duty, profile: ServiceProfile) -> Deadline | None:
    """Due date from the duty's date fact, in PRC working days or calendar days."""
    dl = duty.deadline
    if dl is None:
        return None
    start = getattr(profile, dl.from_fact)
    if start is None:
        return Deadline(
            None, dl.text.en, dl.from_fact, problem=f"set {dl.from_fact} in the profile to compute it"
        )
    try:
        if dl.working_days is not None or dl.working_days_parameter is not None:
            n = (
                dl.working_days
                if dl.working_days is not None
                else int(parameter(str(dl.working_days_parameter)).value)
            )
            due = calendar.add_working_days(start, n)
        else:
            n = (
                dl.calendar_days
                if dl.calendar_days is not None
                else int(parameter(str(dl.calendar_days_parameter)).value)
            )
            due = start + dt.timedelta(days=n)
    except calendar.CalendarRangeError as exc:
        return Deadline(None, dl.text.en, dl.from_fact, problem=exc.detail)
    return Deadline(due, dl.text.en, dl.from_fact)


def assess(profile: ServiceProfile, catalogue: Catalogue | None = None) -> Assessment:
    """Apply the catalogue to a profile."""
    cat = catalogue or load_catalogue()
    facts = evaluate_facts(profile, cat)
    roles = effective_roles(profile, facts)
    findings: list[Finding] = []
    for duty_id, duty in cat.duties.items():
        if not set(duty.binds) & set(roles):
            continue
        expr = cat.triggers[duty_id]
        if not expr.evaluate(facts):
            continue
        findings.append(
            Finding(duty=duty, because=_because(expr, facts, cat), deadline=compute_deadline(duty, profile))
        )
    order = {d: i for i, d in enumerate(cat.duties)}
    findings.sort(key=lambda f: (cat.instruments[f.duty.instrument].number, order[f.duty.id]))
    return Assessment(
        profile=profile,
        findings=findings,
        filing=filing_path(profile),
        crossborder=mechanism(profile.cross_border),
        ethics=ethics_review(profile),
        roles=roles,
        catalogue=cat,
    )
