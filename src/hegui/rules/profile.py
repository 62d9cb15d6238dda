"""The service profile: the facts of reference §2.1 that the rules engine reads, stored as YAML.

The profile is the only input of the engine, so every fact a trigger may name is a field here (or a derived fact
computed from these fields in :mod:`hegui.rules.facts`). Validation errors name the field and say what to write.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hegui.errors import InputError


class Role(StrEnum):
    """Who the service's operator is under the rules (reference §2.2); one operator may hold several roles."""

    provider = "provider"
    technical_supporter = "technical_supporter"
    user = "user"
    content_platform = "content_platform"
    app_store = "app_store"
    research_unit = "research_unit"
    pi_handler = "pi_handler"


class AlgorithmType(StrEnum):
    """The five algorithm categories of Algorithm Provisions Art. 2 and the filing system."""

    generation_synthesis = "generation_synthesis"
    personalised_push = "personalised_push"
    ranking_selection = "ranking_selection"
    retrieval_filtering = "retrieval_filtering"
    scheduling_decision = "scheduling_decision"


Modality = Literal["text", "audio", "image", "video", "virtual_scene"]
Biometric = Literal["face", "voice"]
KeyDomain = Literal["medical", "financial", "minors"]
Necessity = Literal["contract", "hr", "emergency", "legal_duty"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CrossBorder(_Strict):
    """Facts of the 2024 Cross-Border Provisions (Arts. 3-8); counts are individuals since 1 January this year."""

    is_ciio: bool = False
    important_data_notified: bool = False
    pi_count_nonsensitive_ytd: int = Field(default=0, ge=0)
    pi_count_sensitive_ytd: int = Field(default=0, ge=0)
    necessity_exemption: Necessity | None = None
    foreign_origin_only: bool = False
    trade_context_without_pi: bool = False
    ftz_outside_negative_list: bool = False


class ServiceProfile(_Strict):
    """Everything the engine needs to know about one service, with the defaults of a service that does nothing."""

    name: str = Field(min_length=1)
    organisation: str = ""
    service_form: str = ""
    application_domain: str = ""
    launch_date: dt.date | None = None
    filing_change_date: dt.date | None = None
    termination_date: dt.date | None = None
    ethics_committee_set_up_date: dt.date | None = None

    offered_to_public_in_mainland: bool = False
    roles: set[Role] = Field(default_factory=lambda: {Role.provider})
    algorithm_types: set[AlgorithmType] = Field(default_factory=set)
    is_deep_synthesis: bool = False
    public_opinion_or_mobilisation: bool = False
    serves_model_via_api_of_filed_model: bool = False
    own_foundation_model: bool = False
    upstream_model_name: str = ""
    upstream_model_filing_number: str = ""
    offers_information_publication: bool = False
    offers_instant_messaging: bool = False
    edits_biometrics: set[Biometric] = Field(default_factory=set)
    generates_special_objects_or_scenes: bool = False
    output_modalities: set[Modality] = Field(default_factory=set)
    may_confuse_public: bool = False
    offers_download_or_export: bool = False
    user_requested_unlabelled_output: bool = False
    publishes_ai_content_on_platforms: bool = False
    hosts_user_uploads: bool = False
    lists_ai_apps: bool = False

    processes_personal_info: bool = False
    processes_sensitive_pi: bool = False
    trains_or_finetunes: bool = False
    annotates_data: bool = False
    trains_on_personal_info: bool = False
    trains_on_sensitive_pi: bool = False
    uses_user_inputs_for_training: bool = False
    automated_decision_making: bool = False
    push_or_marketing_via_profiles: bool = False
    major_effect_on_user_rights: bool = False
    has_registered_users: bool = False
    cross_border: CrossBorder = Field(default_factory=CrossBorder)

    serves_minors: bool = False
    serves_elderly: bool = False
    dispatches_workers: bool = False
    sells_goods_or_services: bool = False
    provides_news: bool = False
    users_all_14_or_older: bool = False
    shares_pi_with_third_parties: bool = False
    pi_individuals_total: int = Field(default=0, ge=0)
    offers_mobile_app: bool = False
    large_minor_user_base: bool = False

    rd_activity_in_ethics_scope: bool = False
    rd_in_ethics_sensitive_area: bool = False
    rd_on_expert_review_list: set[int] = Field(default_factory=set)
    has_ethics_committee: bool = False

    key_domain_qa: set[KeyDomain] = Field(default_factory=set)
    algorithm_filed: bool = False
    algorithm_filing_number: str = ""

    @field_validator("rd_on_expert_review_list")
    @classmethod
    def _list_items(cls, value: set[int]) -> set[int]:
        bad = sorted(v for v in value if not 1 <= v <= 7)
        if bad:
            raise ValueError(f"items {bad} are not on the 7-item expert re-review list; use numbers 1 to 7")
        return value


def profile_from_mapping(data: Any, *, source: str | Path = "<profile>") -> ServiceProfile:
    """Validate a mapping into a profile; errors list every bad field as ``path.to.field: problem``."""
    if not isinstance(data, dict):
        raise InputError("a service profile must be a YAML mapping of facts", path=source)
    try:
        return ServiceProfile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            hint = err["msg"]
            if err["type"] == "extra_forbidden":
                hint = "unknown fact; see `hegui rules init` or docs/rules.md for the list of facts"
            problems.append(f"{where}: {hint}")
        raise InputError("invalid service profile: " + "; ".join(problems), path=source) from None


def load_profile(path: str | Path) -> ServiceProfile:
    """Read a profile YAML file (safe loader, duplicate keys rejected)."""
    from hegui.rules.yamlio import load_yaml

    return profile_from_mapping(load_yaml(path), source=path)


def dump_profile(profile: ServiceProfile) -> str:
    """Profile as YAML with sets written as sorted lists, so the file diffs cleanly."""
    data = profile.model_dump(mode="json")
    for key, value in list(data.items()):
        if isinstance(value, list):
            data[key] = sorted(value, key=str)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
