"""The fact namespace a trigger reads: profile fields (nested ones dotted), computed decisions, and the named
base triggers of ``data/bases.yaml`` (``alg_svc``, ``gai_svc`` ...), evaluated in file order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from hegui.rules.crossborder import mechanism
from hegui.rules.profile import CrossBorder, ServiceProfile

# Facts computed in Python (decision tables), with a one-line meaning each; bases.yaml may use them.
COMPUTED: dict[str, str] = {
    "cb_mechanism": "cross-border mechanism code, e.g. 'security_assessment:art7_2' (crossborder.mechanism)",
    "cb_security_assessment": "the 2024 Provisions require a CAC security assessment",
    "cb_standard_contract": "the 2024 Provisions require a standard contract or PI protection certification",
    "cb_exempt": "PI or data is exported but an exemption of Arts. 3-6 or 5(4) applies",
    "exports_data": "personal information or data covered by the 2024 Provisions leaves the mainland",
    "genai_filing_path": "'filing' (备案), 'registration' (登记) or 'none' (engine.filing_path)",
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


def base_facts(profile: ServiceProfile) -> dict[str, Any]:
    """Profile fields and computed facts (no bases yet)."""
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
    mech = mechanism(profile.cross_border)
    facts["cb_mechanism"] = mech.code
    facts["cb_security_assessment"] = mech.kind == "security_assessment"
    facts["cb_standard_contract"] = mech.kind == "scc_or_certification"
    facts["cb_exempt"] = mech.kind == "exempt"
    facts["exports_data"] = mech.exports_pi
    from hegui.rules.engine import filing_path  # local import: engine imports this module

    facts["genai_filing_path"] = filing_path(profile, facts_hint=facts).genai
    return facts
