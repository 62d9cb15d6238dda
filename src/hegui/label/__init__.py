"""Implicit labels of GB 45438-2025 Annex E: read, validate and write them in file metadata.

>>> from hegui.label import Record, read, write
>>> rec = Record.new("001191440300708461136T1XGW3")           # a fresh ProduceID (UUID4) is drawn
>>> write("out.png", rec)                                      # atomic; exactly one label; pixels untouched
>>> read("out.png").label.record == rec
True
"""

from __future__ import annotations

import os

from hegui.atomic import CommitBatch
from hegui.label.containers import ScanResult, WriteResult, by_name, detect, read_file
from hegui.label.containers.base import Found
from hegui.label.record import Finding, ProviderCode, Record, Validation, parse_provider_code, parse_value

__all__ = [
    "CommitBatch",
    "Finding",
    "Found",
    "ProviderCode",
    "Record",
    "ScanResult",
    "Validation",
    "WriteResult",
    "parse_provider_code",
    "parse_value",
    "read",
    "write",
]


def read(path: str | os.PathLike[str], *, container: str | None = None) -> ScanResult:
    """Every label in the file, where and in which form, with validation findings."""
    if container:
        return by_name(container).read(path)
    return read_file(path)


def write(
    path: str | os.PathLike[str],
    record: Record,
    *,
    output: str | os.PathLike[str] | None = None,
    container: str | None = None,
    batch: CommitBatch | None = None,
    in_place: bool = False,
) -> WriteResult:
    """Write ``record`` as the file's only label: in place (atomically), or into ``output`` (file or folder).

    With ``batch`` (a :class:`hegui.atomic.CommitBatch`), the new file replaces the target only when the batch
    commits, and many files share one file-system flush. ``in_place=True`` lets formats that support it (MP4 /
    MOV / M4A) change only the metadata bytes inside the file, under an undo journal, in constant time; other
    formats ignore it and use the atomic copy.
    """
    handler = by_name(container) if container else detect(path)
    if in_place and handler.supports_in_place and output is None:
        return handler.write(path, record, batch=batch, in_place=True)  # type: ignore[call-arg]
    return handler.write(path, record, output=output, batch=batch)
