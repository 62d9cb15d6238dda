"""Implicit labels of GB 45438-2025 Annex E: read, validate and write them in file metadata.

>>> from hegui.label import Record, read, write
>>> rec = Record.new("001191440300708461136T1XGW3")           # a fresh ProduceID (UUID4) is drawn
>>> write("out.png", rec)                                      # atomic; exactly one label; pixels untouched
>>> read("out.png").label.record == rec
True

``read`` and ``write`` also take bytes or a binary file object (a service labels what it holds in memory);
:func:`label_many` labels a batch of files (see :mod:`hegui.label.batch`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from hegui.atomic import CommitBatch
from hegui.label.batch import Item, ItemResult, Propagation, expand, expand_id, label_many, read_many
from hegui.label.containers import ScanResult, WriteResult, by_name, detect, detect_source, read_file
from hegui.label.containers.base import Found, Source, _verify
from hegui.label.policy import ForeignLabelError
from hegui.label.record import Finding, ProviderCode, Record, Validation, parse_provider_code, parse_value

__all__ = [
    "CommitBatch",
    "Finding",
    "ForeignLabelError",
    "Found",
    "Item",
    "ItemResult",
    "Propagation",
    "ProviderCode",
    "Record",
    "ScanResult",
    "Validation",
    "WriteResult",
    "expand",
    "expand_id",
    "label_many",
    "parse_provider_code",
    "parse_value",
    "read",
    "read_many",
    "write",
]

Input = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO


def read(source: Input, *, container: str | None = None, name: str = "") -> ScanResult:
    """Every label in the file, where and in which form, with validation findings. ``source``: a path, bytes, or a
    binary file object (``name`` helps detect text formats, e.g. ``page.html``). Never changes the file."""
    if isinstance(source, str | os.PathLike):
        if container:
            return by_name(container).read(source)
        return read_file(source)
    with _memory_source(source, name) as src:
        handler = by_name(container) if container else detect_source(src)
        return handler.read_source(src)


def write(
    source: Input,
    record: Record,
    *,
    output: str | os.PathLike[str] | BinaryIO | None = None,
    container: str | None = None,
    batch: CommitBatch | None = None,
    in_place: bool = False,
    replace_foreign: bool = False,
    skip_labeled: bool = False,
    name: str = "",
) -> WriteResult:
    """Write ``record`` as the file's only label.

    For a path: atomically (temporary file, fsync, rename) or into ``output`` (a file or a folder; the source is
    untouched). ``in_place=True`` changes only the label's bytes inside the file where the container has room
    (JPEG / TIFF / WebP XMP padding, a PDF incremental update, MP4 ``moov`` room), under an undo journal; elsewhere
    it uses the atomic copy. ``batch`` (a :class:`hegui.atomic.CommitBatch`) groups the flushes of many copies.

    For bytes or a binary file object: the labeled file's bytes are in the result's ``data`` and, when ``output``
    is a binary file object, written to it.

    Another producer's label is never replaced silently: :class:`ForeignLabelError` (see
    :mod:`hegui.label.policy`) unless ``replace_foreign``, which reports what it replaced.
    """
    if isinstance(source, str | os.PathLike):
        handler = by_name(container) if container else detect(source)
        if output is not None and not isinstance(output, str | os.PathLike):
            with open(source, "rb") as handle:
                data = handle.read()
            return _write_memory(
                data, record, output, container, replace_foreign, skip_labeled, Path(source).name
            )
        return handler.write(
            source,
            record,
            output=output,
            batch=batch,
            in_place=in_place,
            replace_foreign=replace_foreign,
            skip_labeled=skip_labeled,
        )
    return _write_memory(source, record, output, container, replace_foreign, skip_labeled, name)


class _memory_source:
    """Bytes or a file object seen as a :class:`Source` (through an anonymous temporary file, so every reader's
    positioned reads and memory maps work unchanged)."""

    def __init__(self, data: bytes | bytearray | memoryview | BinaryIO, name: str) -> None:
        self.data = data
        self.name = name or getattr(data, "name", "") or "<bytes>"
        self.handle: BinaryIO | None = None
        self.source: Source | None = None

    def __enter__(self) -> Source:
        import tempfile  # in-memory sources only: `hegui label` does not import it

        handle = tempfile.TemporaryFile()
        self.handle = handle
        if isinstance(self.data, bytes | bytearray | memoryview):
            handle.write(self.data)
        else:
            while chunk := self.data.read(1 << 20):
                handle.write(chunk)
        handle.flush()
        self.source = Source(handle, Path(str(self.name)), handle.tell())
        self.source.memo["memory"] = True  # not a file on disk: readers that open by name use the handle
        return self.source

    def __exit__(self, *exc: object) -> None:
        if self.source is not None:
            self.source.close()
        if self.handle is not None:
            self.handle.close()


def _write_memory(
    source: bytes | bytearray | memoryview | BinaryIO,
    record: Record,
    output: str | os.PathLike[str] | BinaryIO | None,
    container: str | None,
    replace_foreign: bool,
    skip_labeled: bool,
    name: str,
) -> WriteResult:
    from hegui.label.containers.base import _apply_policy, complete_reads, replacement_warnings

    with complete_reads():  # a write never replaces or drops a chunk the fast read paths skip
        warnings = list(record.require_valid().validate().warnings)
        with _memory_source(source, name) as src:
            handler = by_name(container) if container else detect_source(src)
            before = handler.read_source(src)
            outcome = _apply_policy(before, record, replace_foreign, skip_labeled)
            if isinstance(outcome, WriteResult):
                src.handle.seek(0)
                outcome.data = src.handle.read()
                return outcome
            import tempfile

            with tempfile.TemporaryFile() as dst:
                warnings.extend(handler.render(src, dst, record))
                dst.flush()
                size = dst.tell()
                check = Source(dst, src.path, size)
                check.memo["memory"] = True
                try:
                    _verify(handler.read_source(check), record, src.path, handler.name)
                finally:
                    check.close()
                dst.seek(0)
                data = dst.read()
        replaced = before.label.record if before.label is not None else None
        warnings.extend(replacement_warnings(replaced, record))
        label = name or "<bytes>"
        if output is not None:
            if isinstance(output, str | os.PathLike):
                from hegui.atomic import atomic_output

                with atomic_output(output) as pending:
                    pending.write(data)
                label = str(output)
            else:
                output.write(data)
        return WriteResult(
            label,
            label,
            handler.name,
            record,
            replaced,
            warnings,
            mode="memory",
            replaced_foreign=outcome,
            data=data,
        )
