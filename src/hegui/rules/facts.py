"""The fact namespace a trigger reads: profile fields (nested ones dotted), computed decisions, and the named
base triggers of ``data/bases.yaml`` (``alg_svc``, ``gai_svc`` ...), evaluated in file order.

The computed decisions (cross-border mechanism, filing path) come in as arguments: the engine computes them once
per assessment in :mod:`hegui.rules.decisions` and :mod:`hegui.rules.crossborder`, so this module imports neither
the engine nor the catalogue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from hegui.errors import InputError
from hegui.rules.crossborder import Mechanism
from hegui.rules.decisions import FilingPath
from hegui.rules.parameters import value_at
from hegui.rules.profile import CrossBorder, ServiceProfile

# Facts computed in Python (decision tables), with a one-line meaning each; bases.yaml may use them.
COMPUTED: dict[str, str] = {
    "cb_mechanism": "cross-border mechanism code, e.g. 'security_assessment:art7_2' (crossborder.mechanism)",
    "cb_security_assessment": "the cross-border rules require a CAC security assessment",
    "cb_standard_contract": "the cross-border rules require a standard contract or PI protection certification",
    "cb_exempt": "PI or data is exported but an exemption (Arts. 3-6, 5(4); NDSM Art. 35(6)) applies",
    "exports_data": "personal information or data covered by the cross-border rules leaves the mainland",
    "genai_filing_path": "'filing' (备案), 'registration' (登记) or 'none' (decisions.filing_path)",
    "algorithm_filing": "algorithm filing applies (decisions.filing_path)",
    "pi_officer_threshold_reached": "pi_individuals_total reaches parameter pi.officer_individuals (PIPL Art. 52)",
    "pi_ten_million_or_more": "pi_individuals_total reaches parameter pi.important_data_rules_individuals "
    "(NDSM Regulations Art. 28)",
}


def _profile_fields(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.annotation is CrossBorder:
            out.update(_profile_fields(CrossBorder, prefix=f"{prefix}{name}."))
        else:
            out[prefix + name] = info.annotation
    return out


PROFILE_FACTS: dict[str, Any] = _profile_fields(ServiceProfile)
DATE_FACTS: frozenset[str] = frozenset(
    name for name, ann in PROFILE_FACTS.items() if ann in (dt.date | None, dt.date)
)


def base_facts(
    profile: ServiceProfile, *, filing: FilingPath, crossborder: Mechanism, as_of: dt.date | None = None
) -> dict[str, Any]:
    """Profile fields and computed facts (no bases yet); thresholds are those in force on ``as_of``."""
    day = as_of or dt.date.today()
    facts: dict[str, Any] = {}
    for name in PROFILE_FACTS:
        obj: Any = profile
        for part in name.split("."):
            obj = getattr(obj, part)
        if isinstance(obj, set):
            obj = frozenset(str(v) for v in obj)
        elif hasattr(obj, "value") and isinstance(getattr(obj, "value", None), str):
            obj = obj.value
        facts[name] = obj
    facts["roles"] = frozenset(r.value for r in profile.roles)
    facts["algorithm_types"] = frozenset(a.value for a in profile.algorithm_types)
    facts["rd_on_expert_review_list"] = frozenset(profile.rd_on_expert_review_list)
    facts["cb_mechanism"] = crossborder.code
    facts["cb_security_assessment"] = crossborder.kind == "security_assessment"
    facts["cb_standard_contract"] = crossborder.kind == "scc_or_certification"
    facts["cb_exempt"] = crossborder.kind == "exempt"
    facts["exports_data"] = crossborder.exports_pi
    facts["genai_filing_path"] = filing.genai
    facts["algorithm_filing"] = filing.algorithm_filing
    facts["pi_officer_threshold_reached"] = _reaches(
        profile.pi_individuals_total, "pi.officer_individuals", day
    )
    facts["pi_ten_million_or_more"] = _reaches(
        profile.pi_individuals_total, "pi.important_data_rules_individuals", day
    )
    return facts


def _reaches(count: int, name: str, day: dt.date) -> bool:
    """ "以上": at least the threshold in force on ``day``; False before the rule existed."""
    if count <= 0:
        return False
    try:
        return count >= int(value_at(name, day))
    except InputError:
        return False
