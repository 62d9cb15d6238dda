"""Whose label may be written over (Labeling Measures Art. 10: no one deletes, alters or forges another party's
label).

* A label of another ``ContentProducer`` is never replaced silently: the write is refused with
  :class:`ForeignLabelError` (exit 1), naming the producer and ProduceID found.
* ``replace_foreign=True`` is the deliberate override (a producer correcting a wrong attribution, with the
  other party's consent). It still writes a complete, valid label whose producer is a provider code (so the one
  who replaced is on record in the file), and the write result carries the replaced label in ``replaced_foreign``;
  the batch API records it in the evidence store when one exists. There is no way to write "no label": the
  override changes whose label the file carries, it never leaves a file without one.
* Replacing one's own label (same producer) is allowed and reported as a warning; propagation fields added by a
  platform keep the producer's fields as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hegui.errors import EXIT_FINDINGS, HeguiError, UsageError
from hegui.label.record import Record, parse_provider_code

if TYPE_CHECKING:
    from hegui.label.containers.base import Found, ScanResult


class ForeignLabelError(HeguiError):
    """The file carries a label of another producer; writing over it needs ``replace_foreign``."""

    exit_code = EXIT_FINDINGS

    def __init__(self, message: str, *, path: str | None = None, existing: list[Record | None]) -> None:
        self.existing = existing
        super().__init__(message, path=path)


def foreign_labels(scan: ScanResult, record: Record) -> list[Found]:
    """The labels in ``scan`` that name a producer other than ``record``'s. A value that is not a JSON object names
    no one; replacing it is reported by the writer's replacement warning, not refused (the platform wing replaces
    such unusable labels when it stamps)."""
    return [
        item
        for item in scan.labels
        if not item.mirror
        and item.record is not None
        and item.record.ContentProducer != record.ContentProducer
    ]


def describe(item: Found) -> str:
    if item.record is None:
        return f"an unreadable label in {item.location} ({item.raw[:60]!r})"
    return (
        f"ContentProducer {item.record.ContentProducer!r}, ProduceID {item.record.ProduceID!r} "
        f"(in {item.location})"
    )


def check(scan: ScanResult, record: Record, *, replace_foreign: bool) -> list[Found]:
    """Raise :class:`ForeignLabelError` when ``record`` would write over another producer's label; with
    ``replace_foreign``, return those labels instead (the caller records them)."""
    foreign = foreign_labels(scan, record)
    if not foreign:
        return []
    if not replace_foreign:
        shown = "; ".join(describe(item) for item in foreign)
        raise ForeignLabelError(
            f"refused: the file carries another producer's label ({shown}); a label of another producer is "
            "never replaced (Labeling Measures Art. 10). Use --propagator to add propagation fields, or "
            "--replace-foreign where you are entitled to, which records what it replaced",
            path=scan.path,
            existing=[item.record for item in foreign],
        )
    try:
        parse_provider_code(record.ContentProducer)
    except HeguiError as exc:
        raise UsageError(
            "replacing another producer's label needs a ContentProducer that is a provider code (the one who "
            f"replaces it stays identifiable): {exc.detail}",
            path=scan.path,
        ) from exc
    return foreign


def same_producer_label(scan: ScanResult, record: Record) -> bool:
    """True when the file already carries exactly one valid label of ``record``'s producer (nothing to do)."""
    return (
        scan.valid
        and scan.label is not None
        and scan.label.record is not None
        and scan.label.record.ContentProducer == record.ContentProducer
    )
