"""Rules as code: China's AI rules as a schema-validated catalogue, an engine that says which duties bind a
service and why, deadlines in PRC working days, the cross-border decision, filing paths, and the outputs
(obligations report, filing dossiers) a compliance team hands on.
"""

from __future__ import annotations

from hegui.rules.catalogue import Catalogue, Duty, Instrument, load_catalogue
from hegui.rules.engine import Assessment, assess
from hegui.rules.profile import ServiceProfile, load_profile

__all__ = [
    "Assessment",
    "Catalogue",
    "Duty",
    "Instrument",
    "ServiceProfile",
    "assess",
    "load_catalogue",
    "load_profile",
]
