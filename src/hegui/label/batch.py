"""Labeling many files: the service the CLI, the gateway and a platform's upload hook all call.

:func:`label_many` labels each file with one record (or one made per file), or adds propagation fields to each
file's existing label; every file gets its own result (labeled, skipped, refused, failed), one bad file never sinks
the batch, and every error is a :class:`hegui.errors.HeguiError`. Writes go in place where the container has room
(the label's own bytes change under an undo journal; see :mod:`hegui.label.journal`), else through the atomic
copy, whose renames and flushes are grouped (:class:`hegui.atomic.CommitBatch`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hegui.atomic import CommitBatch
from hegui.errors import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    HeguiError,
    InputError,
    UnsupportedFormatError,
    UsageError,
)
from hegui.label.containers import ScanResult, WriteResult, detect, read_file
from hegui.label.containers.base import Finding, NotRegularFileError
from hegui.label.journal import JournalBatch
from hegui.label.policy import ForeignLabelError
from hegui.label.record import Record

# Group commit: files written between two file-system flushes; a batch also closes after this many bytes (large
# files gain nothing from sharing a flush).
BATCH_SIZE = 64
BATCH_BYTES = 8 * 1024 * 1024
#: the namespace of name-based ProduceIDs ({uuid5}): uuid5(UUID(NAMESPACE), producer + "/" + relative path)
PRODUCE_ID_NAMESPACE = "6f0c2f6e-8a53-5f0e-9a3c-68656775692d"


@dataclass(frozen=True)
class Item:
    """One input file, and its path relative to the folder it was found in (where its copy goes under output)."""

    path: Path
    relative: Path


@dataclass(frozen=True)
class Propagation:
    """What a platform adds to each file's existing label (Labeling Measures Art. 6); the producer's fields are
    kept as they are. ``propagate_id`` is a template (see :func:`expand_id`)."""

    propagator: str
    propagate_id: str = "auto"
    reserved2: str | None = None


@dataclass
class ItemResult:
    """The outcome for one file."""

    path: str
    status: str  # "labeled" | "skipped" | "refused" | "failed"
    result: WriteResult | None = None
    error: HeguiError | None = None
    note: str | None = None  # why a file was skipped

    @property
    def exit_code(self) -> int:
        if self.status == "refused":
            return EXIT_FINDINGS
        if self.status == "failed":
            return self.error.exit_code if self.error is not None else EXIT_INPUT
        return EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "status": self.status}
        if self.result is not None:
            out.update(self.result.to_dict())
            out["path"] = self.path
        if self.error is not None:
            out["error"] = str(self.error)
        if self.note is not None:
            out["note"] = self.note
        return out


RecordFactory = Callable[[Item, int], Record]


def expand(paths: Iterable[str | os.PathLike[str]], *, recursive: bool) -> list[Item]:
    """Files named and, with ``recursive``, the files under folders named (hidden entries and hegui's temporary
    and journal files left out); each file once. A folder without ``recursive`` is a :class:`UsageError`."""
    seen: set[Path] = set()
    out: list[Item] = []
    for item in _walk([Path(p) for p in paths], recursive):
        try:
            key = item.path.resolve()
        except (OSError, RuntimeError):  # a symlink loop: reading it gives the clear error
            key = item.path.absolute()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _walk(paths: list[Path], recursive: bool) -> Iterator[Item]:
    for path in paths:
        if path.is_dir():
            if not recursive:
                raise UsageError(f"{path} is a folder; add --recursive to process the files in it")
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith(".") and name.endswith((".hegui-tmp", ".hegui-journal")):
                        continue
                    full = Path(root) / name
                    yield Item(full, full.relative_to(path))
        else:
            yield Item(path, Path(path.name))


def expand_id(template: str, item: Item, index: int, producer: str) -> str:
    """A ProduceID / PropagateID from a template. 'auto': a random UUID. Fields: {uuid} (random), {uuid5}
    (name-based: the same producer and relative path give the same ID on every rerun), {sha256} (first 32 hex
    digits of the file's content hash), {stem}, {name}, {n} (position in the batch)."""
    import uuid  # uuid, hashlib and datetime are imported where used: `hegui label show` needs none of them

    if template == "auto":
        return str(uuid.uuid4())
    if "{" not in template:
        return template
    fields: dict[str, object] = {"stem": item.path.stem, "name": item.path.name, "n": index}
    if "{uuid}" in template:
        fields["uuid"] = uuid.uuid4()
    if "{uuid5}" in template:
        namespace = uuid.UUID(PRODUCE_ID_NAMESPACE)
        fields["uuid5"] = uuid.uuid5(namespace, f"{producer}/{item.relative.as_posix()}")
    if "{sha256}" in template:
        fields["sha256"] = _sha256(item.path)[:32]
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise UsageError(
            f"ID template {template!r}: {exc}; use {{uuid}}, {{uuid5}}, {{sha256}}, {{stem}}, {{name}} or {{n}}"
        ) from exc


def is_deterministic(template: str) -> bool:
    return template != "auto" and "{uuid}" not in template


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    return digest.hexdigest()


def label_many(
    items: Iterable[Item | str | os.PathLike[str]],
    record: Record | RecordFactory | None = None,
    *,
    propagate: Propagation | None = None,
    output: str | os.PathLike[str] | None = None,
    skip_labeled: bool = False,
    replace_foreign: bool = False,
    in_place: bool = True,
    group_commit: bool = True,
    skip_unsupported: bool = False,
    on_result: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Label every file; one :class:`ItemResult` per file, in order (``on_result`` sees each as it is final).

    ``record``: one record for all files, or a factory ``(item, index) -> Record`` (a ProduceID per file);
    ``None`` with ``propagate``: add propagation fields to each file's existing label. ``output``: a folder for
    labeled copies (files keep their path relative to the folder they were found in), or, for a single file, the
    file to write. ``in_place``: change only the label's bytes where the container has room. ``group_commit``:
    atomic copies share flushes (see :class:`hegui.atomic.CommitBatch`). ``skip_unsupported``: files of unknown
    formats are skipped (with a note), not failed.
    """
    if record is None and propagate is None:
        raise UsageError("give a record, or propagation fields to add to existing labels")
    listed = [i if isinstance(i, Item) else Item(Path(i), Path(Path(i).name)) for i in items]
    out_path = Path(output) if output is not None else None
    single_file_output = (
        out_path is not None and len(listed) == 1 and not out_path.is_dir() and bool(out_path.suffix)
    )
    if out_path is not None and not single_file_output:
        out_path.mkdir(parents=True, exist_ok=True)
    results: list[ItemResult] = []
    batch = CommitBatch()
    journals = JournalBatch()
    pending: list[ItemResult] = []
    pending_bytes = 0

    def flush() -> None:
        nonlocal pending, pending_bytes
        copies = [p for p in pending if p.result is not None and p.result.mode == "copy"]
        in_place = [p for p in pending if p.result is not None and p.result.mode == "in-place"]
        try:
            batch.commit()
        except OSError as exc:
            batch.discard()
            for done in copies:
                _fail(
                    done,
                    InputError(f"could not commit the labeled file: {exc.strerror or exc}", path=done.path),
                )
        try:
            failures: list[BaseException | None] = journals.commit()
        except OSError as exc:
            failures = [exc] * len(in_place)
        for done, failure in zip(in_place, failures, strict=True):
            if isinstance(failure, HeguiError):
                _fail(done, failure)
            elif isinstance(failure, OSError):
                _fail(
                    done,
                    InputError(f"could not write in place: {failure.strerror or failure}", path=done.path),
                )
            elif failure is not None:
                raise failure
        for done in pending:
            _finish(done, on_result)
        pending, pending_bytes = [], 0

    try:
        for index, item in enumerate(listed, start=1):
            target = None
            if out_path is not None:
                target = out_path if single_file_output else out_path / item.relative
            if journals.holds(item.path):  # the same file twice: its first write must land first
                flush()
            outcome = _label_one(
                item,
                index,
                record,
                propagate,
                target,
                batch if group_commit else None,
                journals if group_commit else None,
                skip_labeled=skip_labeled,
                replace_foreign=replace_foreign,
                in_place=in_place,
                skip_unsupported=skip_unsupported,
            )
            results.append(outcome)
            if outcome.status == "labeled" and outcome.result is not None and group_commit:
                pending.append(outcome)
                pending_bytes += _size(item.path) if outcome.result.mode == "copy" else 0
                if len(pending) >= BATCH_SIZE or pending_bytes >= BATCH_BYTES:
                    flush()
            else:
                _finish(outcome, on_result)
        flush()
    except BaseException:
        batch.discard()
        journals.discard()
        raise
    return results


def _fail(outcome: ItemResult, error: HeguiError) -> None:
    outcome.status, outcome.result, outcome.error = "failed", None, error


def _finish(outcome: ItemResult, on_result: Callable[[ItemResult], None] | None) -> None:
    if outcome.status == "labeled" and outcome.result is not None and outcome.result.replaced_foreign:
        note = record_replacement(outcome.result)
        outcome.result.warnings.append(Finding("warning", "replace-foreign", note))
    if on_result is not None:
        on_result(outcome)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _label_one(
    item: Item,
    index: int,
    record: Record | RecordFactory | None,
    propagate: Propagation | None,
    target: Path | None,
    batch: CommitBatch | None,
    journals: JournalBatch | None,
    *,
    skip_labeled: bool,
    replace_foreign: bool,
    in_place: bool,
    skip_unsupported: bool,
) -> ItemResult:
    path = item.path
    try:
        if not path.exists() and not path.is_symlink():
            raise InputError("no such file", path=path)
        try:
            handler = detect(path)
        except (
            NotRegularFileError
        ) as exc:  # a FIFO would block forever: skipped under -r, an error when named
            if skip_unsupported:
                return ItemResult(str(path), "skipped", note=exc.detail)
            raise
        except UnsupportedFormatError as exc:
            if skip_unsupported:
                return ItemResult(str(path), "skipped", note=exc.detail)
            raise
        if record is None:
            assert propagate is not None
            existing = handler.read(path).label
            if existing is None or existing.record is None:
                raise ForeignLabelError(
                    "no existing label to add propagation fields to (a platform adds its fields to the "
                    "producer's label; it does not write one)",
                    path=str(path),
                    existing=[],
                )
            new = existing.record.with_propagation(
                propagate.propagator,
                expand_id(propagate.propagate_id, item, index, propagate.propagator),
                reserved2=propagate.reserved2,
            )
        elif isinstance(record, Record):
            new = record
        else:
            new = record(item, index)
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
        result = handler.write(
            path,
            new,
            output=target,
            batch=batch,
            in_place=in_place and target is None,
            replace_foreign=replace_foreign,
            skip_labeled=skip_labeled,
            journal_batch=journals,
        )
    except ForeignLabelError as exc:
        return ItemResult(str(path), "refused", error=exc)
    except HeguiError as exc:
        return ItemResult(str(path), "failed", error=exc)
    except OSError as exc:
        return ItemResult(str(path), "failed", error=InputError(exc.strerror or str(exc), path=path))
    except Exception as exc:  # a parser bug must cost this file only, never the batch (issue #18 item 3)
        return ItemResult(str(path), "failed", error=InputError(f"internal error: {exc!r}", path=path))
    if result.mode == "skipped":
        return ItemResult(
            str(path), "skipped", result=result, note="already carries a valid label of this producer"
        )
    return ItemResult(str(path), "labeled", result=result)


def read_many(
    items: Iterable[Item | str | os.PathLike[str]],
    *,
    jobs: int = 1,
    skip_unsupported: bool = False,
) -> Iterator[tuple[str, ScanResult | HeguiError | None]]:
    """Read every file, ``jobs`` at a time, yielding ``(path, scan or error)`` in input order (``None``: skipped as
    unsupported or not a regular file). Reading never changes a file."""
    listed = [i.path if isinstance(i, Item) else Path(i) for i in items]

    def one(path: Path) -> ScanResult | HeguiError | None:
        try:
            return read_file(path)
        except (NotRegularFileError, UnsupportedFormatError) as exc:
            return None if skip_unsupported else exc
        except HeguiError as exc:
            return exc
        except Exception as exc:  # a parser bug costs this file only
            return InputError(f"internal error: {exc!r}", path=path)

    if jobs <= 1 or len(listed) <= 1:
        for path in listed:
            yield str(path), one(path)
        return
    from concurrent.futures import ThreadPoolExecutor  # only for parallel reads (start-up: not imported)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        yield from zip((str(p) for p in listed), pool.map(one, listed), strict=True)


def record_replacement(result: WriteResult) -> str:
    """Record a replaced foreign label in the evidence store, when one exists (``HEGUI_DATABASE_URL`` or
    ``./hegui.db``); return what was recorded where, for the output."""
    replaced = "; ".join(
        f"ContentProducer {r.ContentProducer!r} ProduceID {r.ProduceID!r}"
        if r is not None
        else "an unreadable label"
        for r in result.replaced_foreign
    )
    what = f"replaced another producer's label ({replaced}) by {result.record.ContentProducer!r} ProduceID {result.record.ProduceID!r}"
    if not (os.environ.get("HEGUI_DATABASE_URL") or Path("hegui.db").is_file()):
        return (
            what
            + "; no evidence store found (set HEGUI_DATABASE_URL or create ./hegui.db to record it there)"
        )
    try:
        import datetime as dt

        from hegui.store import open_store, session_scope
        from hegui.store.models import EvidenceItem

        with session_scope(open_store()) as session:
            session.add(
                EvidenceItem(
                    service=result.record.ContentProducer,
                    duty_id="label-replace-foreign",
                    kind="hegui_output",
                    location=str(Path(result.output).resolve()),
                    sha256=_sha256(Path(result.output)),
                    title=what[:300],
                    owner="hegui label add --replace-foreign",
                    evidence_date=dt.date.today(),
                )
            )
    except Exception as exc:  # the store is optional; a failure to record is reported, never hidden
        return what + f"; recording it in the evidence store FAILED: {exc}"
    return what + "; recorded in the evidence store"


__all__ = [
    "BATCH_BYTES",
    "BATCH_SIZE",
    "Item",
    "ItemResult",
    "Propagation",
    "expand",
    "expand_id",
    "is_deterministic",
    "label_many",
    "read_many",
    "record_replacement",
]
