"""Stamping: the platform adds its propagation fields to the file's metadata (Labeling Measures Art. 6, last para).

* A file with a usable label keeps it: only ``ContentPropagator``, ``PropagateID`` (and optionally
  ``ReservedCode2``) change; the producer's fields, ``ReservedCode1`` included, are never touched, and no second
  record is added. A propagator already there (an earlier platform) is replaced: a record has room for one.
* A file without a usable label (none, or one that cannot be parsed) gets a new record with ``Label`` "2"
  (possible) or "3" (suspected) and the propagation fields. Its producer is unknown to the platform, so
  ``ContentProducer`` / ``ProduceID`` hold :data:`UNKNOWN_PRODUCER` (Annex E makes them shall-elements, so they
  cannot be empty). [inferred: the Measures do not say what a platform writes there]
* Files with conflicting labels are not stamped: a person should look (the result says why).

All writes go through :func:`hegui.label.write`: atomic, one label, media bytes unchanged, read back and compared.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from hegui import label
from hegui.errors import UsageError
from hegui.label import Record, integrity
from hegui.label.platform.verdict import Decision
from hegui.label.record import new_content_id

#: what a platform writes as ContentProducer / ProduceID in a record it creates (producer unknown) [inferred]
UNKNOWN_PRODUCER = "unknown"

Reserved2Mode = Literal["empty", "sha256", "hmac-sha256", "sign"]


@dataclass
class StampResult:
    stamped: bool
    reason: str
    output: str | None = None
    record: Record | None = None
    replaced: Record | None = None
    created: bool = False  # a new record was written (no usable label before)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stamped": self.stamped,
            "reason": self.reason,
            "output": self.output,
            "created": self.created,
            "record": self.record.to_dict() if self.record is not None else None,
            "replaced": self.replaced.to_dict() if self.replaced is not None else None,
            "warnings": self.warnings,
        }


def stamp(
    path: str | os.PathLike[str],
    decision: Decision,
    platform_code: str,
    *,
    propagate_id: str | None = None,
    output: str | os.PathLike[str] | None = None,
    reserved2: Reserved2Mode = "empty",
    key: integrity.SigningKey | None = None,
) -> StampResult:
    """Add the platform's propagation fields according to ``decision`` (see the module docstring)."""
    if not platform_code:
        raise UsageError("stamping needs the platform's code (--platform-code)")
    ev = decision.evidence
    if decision.verdict == "none" or ev is None:
        return StampResult(False, "verdict 'none': Art. 6 asks for no propagation fields")
    if ev.label_state == "duplicated":
        return StampResult(False, "conflicting labels in one file: not stamped, needs review")
    if ev.container is None:
        return StampResult(False, "no implicit-label container for this format: nothing can be stamped")
    pid = propagate_id if propagate_id is not None else new_content_id()
    warnings: list[str] = []
    existing = ev.record
    if existing is not None and existing.validate().ok:
        if existing.ContentPropagator and existing.ContentPropagator != platform_code:
            warnings.append(
                f"replaced the earlier propagator {existing.ContentPropagator!r} (PropagateID "
                f"{existing.PropagateID!r}): a record holds one propagator"
            )
        record = existing.with_propagation(platform_code, pid, reserved2="")
        created = False
    else:
        label_value = decision.label_to_write or "3"
        record = Record(
            Label=label_value,
            ContentProducer=UNKNOWN_PRODUCER,
            ProduceID=UNKNOWN_PRODUCER,
            ContentPropagator=platform_code,
            PropagateID=pid,
        )
        created = True
        if existing is not None or ev.label_state == "malformed":
            warnings.append("replaced a label that could not be used (malformed or failing Annex E)")
    if reserved2 != "empty":
        record = integrity.protect(record, "ReservedCode2", reserved2, key=key)
    result = label.write(ev.path, record, output=output)
    warnings.extend(str(w) for w in result.warnings if "replaced the existing label" not in w.message)
    return StampResult(
        True,
        "propagation fields added to the existing label"
        if not created
        else f"new label with Label {record.Label!r}",
        result.output,
        record,
        existing,
        created,
        warnings,
    )
