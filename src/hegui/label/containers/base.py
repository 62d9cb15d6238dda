"""The interface every container module implements, and the write flow they all share.

A container module knows bytes and nothing about the CLI. It subclasses :class:`Container` and implements:

* ``sniff(head, name)``: does this file look like my format (first 64 bytes, and the file name for text formats)?
* ``scan(src, path)``: every AIGC label it holds, as :class:`Found` items (lenient; never raises on a bad value,
  only on a broken container);
* ``render(src, dst, record, path)``: write a copy of ``src`` holding ``record`` as its only label into ``dst``,
  keeping all other metadata and the media data byte for byte; return warnings.

:meth:`Container.write` does the rest, the same way for every format: validate the record, look at the existing
label, render into a temporary file beside the target, read the label back, compare, fsync and rename.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import stat
import struct
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, BinaryIO, ClassVar, TypeVar

from hegui.atomic import CommitBatch, atomic_output
from hegui.errors import HeguiError, InputError, LimitExceededError, UnsupportedFormatError, WriteVerifyError
from hegui.label import journal, policy
from hegui.label.journal import JournalBatch, Recovery, Region, has_journal
from hegui.label.record import (
    RULE_C2PA,
    RULE_ONE_LABEL,
    Finding,
    ParsedValue,
    Record,
    parse_value,
)

_T = TypeVar("_T")
RULE_JOURNAL = "in-place-journal"  # an interrupted in-place write left its undo journal
COPY_CHUNK = 1024 * 1024
# Labels parsed and reported per file. A file has one label (GB 45438 §6.1 c); hostile files carry tens of
# thousands, and parsing, validating and listing each one cost seconds and gigabytes. Those beyond the cap are
# counted (one finding says how many) but not parsed.
MAX_LABELS = 64
READ_AHEAD = 16 * 1024  # bytes read at once for small header reads (see Source.read_at)


@dataclass(frozen=True)
class Found:
    """One label found in a file: where, in which form, what it says, and what is wrong with it."""

    container: str  # handler name, e.g. "jpeg"
    location: str  # human-readable carrier, e.g. "APP1 XMP TC260:AIGC"
    form: str  # "bare-json" | "wrapped-json" | "xmp-element" | "xmp-attribute" | "yaml-mapping" | ...
    raw: str  # the stored value as text (after container-level decoding)
    record: Record | None
    findings: tuple[Finding, ...] = ()
    offset: int | None = None  # byte offset of the carrier in the file, where meaningful
    # True for a second carrier that the format mirrors by design and that agrees with the first (PDF: the XMP
    # copy of the Info /AIGC label). It is the same label, not a second one: the one-label rule ignores it.
    mirror: bool = False

    @property
    def valid(self) -> bool:
        return self.record is not None and not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": self.container,
            "location": self.location,
            "form": self.form,
            "offset": self.offset,
            "mirror": self.mirror,
            "valid": self.valid,
            "record": self.record.to_dict() if self.record is not None else None,
            "raw": self.raw,
            "findings": [f.to_dict() for f in self.findings],
        }


class _Deferred:
    """A :attr:`Found.raw` computed when first asked for: ``make(*args)`` (see :func:`found_with_raw_from`)."""

    __slots__ = ("args", "make")

    def __init__(self, make: Callable[..., str], args: tuple[Any, ...]) -> None:
        self.make = make
        self.args = args


class _RawField:
    """The ``raw`` field of :class:`Found`: a string, or a :class:`_Deferred` made into one on first access (a
    YAML mapping label's text is only needed when shown, and dumping it costs more than the rest of a read).
    Equality, hashing, ``repr``, ``dataclasses.replace`` / ``asdict``, copies and pickles all see the string."""

    def __get__(self, obj: Found | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__["_raw"]
        if type(value) is _Deferred:
            value = obj.__dict__["_raw"] = value.make(*value.args)
        return value

    def __set__(self, obj: Found, value: str | _Deferred) -> None:
        obj.__dict__["_raw"] = value


setattr(Found, "raw", _RawField())  # noqa: B010 (after @dataclass, which saw a plain annotated field)


def _found_getstate(self: Found) -> dict[str, Any]:
    state = dict(self.__dict__)
    state["_raw"] = self.raw
    return state


setattr(Found, "__getstate__", _found_getstate)  # noqa: B010


def found_with_raw_from(
    container: str,
    location: str,
    form: str,
    make_raw: Callable[..., str],
    raw_args: tuple[Any, ...],
    record: Record | None,
    findings: tuple[Finding, ...],
    offset: int | None,
) -> Found:
    """A :class:`Found` whose ``raw`` is ``make_raw(*raw_args)``, computed when first read."""
    found = Found(container, location, form, "", record, findings, offset)
    object.__setattr__(found, "raw", _Deferred(make_raw, raw_args))
    return found


# Inside a write: readers look at every byte a label may hide in, never a shortcut that could miss one (PNG reads
# skip the IDAT run outside writes; see hegui.label.containers.png). A write decides what to replace from its read.
_complete_reads: ContextVar[bool] = ContextVar("complete_reads", default=False)


def reading_completely() -> bool:
    """True inside :func:`complete_reads`."""
    return _complete_reads.get()


@contextmanager
def complete_reads() -> Iterator[None]:
    """Reads inside this block take no shortcut that could miss a label placed where its format forbids it (every
    write path reads through it: the label it replaces, and the read-back, must be seen wherever they are)."""
    token = _complete_reads.set(True)
    try:
        yield
    finally:
        _complete_reads.reset(token)


# While a file is read: how many labels its scan has found so far (see MAX_LABELS), and the last value parsed with
# what it parsed to (a format that mirrors the label, such as PDF's Info /AIGC and XMP, parses the text once);
# None outside a read.
_labels_seen: ContextVar[list[Any] | None] = ContextVar("labels_seen", default=None)


def _reading() -> list[Any]:
    """A fresh per-read state for _labels_seen: [labels found, last value, its ParsedValue]."""
    return [0, None, None]


def found_from_value(
    container: str, location: str, raw: str, *, offset: int | None = None, form: str | None = None
) -> Found:
    """Parse a stored JSON value and wrap it as a :class:`Found`; ``form`` overrides the JSON form name.

    During :meth:`Container.read_source`, values beyond the first :data:`MAX_LABELS` are not parsed (the read
    drops them and reports their count)."""
    seen = _labels_seen.get()
    if seen is not None:
        seen[0] += 1
        if seen[0] > MAX_LABELS:
            return Found(container, location, "beyond-cap", "", None, offset=offset)
        if seen[1] == raw:  # the same text as the last value: the same (immutable) parse
            parsed: ParsedValue = seen[2]
        else:
            parsed = seen[2] = parse_value(raw)
            seen[1] = raw
    else:
        parsed = parse_value(raw)
    record = parsed.record
    found: Found = _new(Found)  # Found(...) without the frozen dataclass's object.__setattr__ per field
    state = found.__dict__
    state["container"] = container
    state["location"] = location
    state["form"] = form if form is not None and record is not None else parsed.form
    state["_raw"] = raw  # see _RawField
    state["record"] = record
    state["findings"] = parsed.findings
    state["offset"] = offset
    state["mirror"] = False
    return found


_new = object.__new__


@dataclass
class ScanResult:
    """Everything :func:`hegui.label.read` learned about one file."""

    path: str
    container: str
    labels: list[Found] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # file-level findings (duplicates, C2PA, ...)

    @property
    def label(self) -> Found | None:
        """The label a platform should act on: the first valid one, else the first one found."""
        for item in self.labels:
            if item.valid:
                return item
        return self.labels[0] if self.labels else None

    @property
    def valid(self) -> bool:
        """Exactly one label and it is valid (GB 45438 §6.1 c: one label per file)."""
        return (
            len(self.labels) >= 1
            and all(item.valid for item in self.labels)
            and not any(f.severity == "error" for f in self.findings)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "container": self.container,
            "valid": self.valid,
            "labels": [item.to_dict() for item in self.labels],
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class WriteResult:
    """What :func:`hegui.label.write` did."""

    path: str  # the source
    output: str  # where the labeled file is
    container: str
    record: Record
    replaced: Record | None = None  # the label that was there before, if any
    warnings: list[Finding] = field(default_factory=list)
    #: "copy" (atomic copy and rename), "in-place" (journaled update inside the file), "skipped" (the file already
    #: carried a valid label of the same producer and ``skip_labeled`` was set), "memory" (bytes in, bytes out)
    mode: str = "copy"
    #: labels of other producers this write replaced (only with ``replace_foreign``); never silent
    replaced_foreign: list[Record | None] = field(default_factory=list)
    #: what recovery of an interrupted in-place write found and did before this write
    recovery: str | None = None
    #: the labeled file's bytes, when the input was bytes or a file object
    data: bytes | None = None

    @property
    def status(self) -> str:
        return "skipped" if self.mode == "skipped" else "labeled"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "output": self.output,
            "container": self.container,
            "mode": self.mode,
            "record": self.record.to_dict(),
            "replaced": self.replaced.to_dict() if self.replaced is not None else None,
            "replaced_foreign": [r.to_dict() if r is not None else None for r in self.replaced_foreign],
            "recovery": self.recovery,
            "warnings": [f.to_dict() for f in self.warnings],
        }


def path_text(path: str | os.PathLike[str]) -> str:
    """``str(Path(path))``, without building the Path when the text is already in the form Path gives it (no
    empty or ``.`` component, no trailing slash): reads name the file in results and errors as before."""
    if isinstance(path, PurePath):
        return str(path)
    text = os.fspath(path)
    if (
        text
        and text != "."
        and "//" not in text
        and "/./" not in text
        and not text.startswith("./")
        and not text.endswith(("/", "/."))
    ):
        return text
    return str(Path(text))


class Source:
    """A seekable view of the input file with bounds-checked reads that name the offset on failure.

    ``handle`` is the open binary file; :func:`open_source` passes a file descriptor instead (``fd``), and the file
    object is made only when something asks for :attr:`handle` (most reads need only ``os.pread``). ``path`` may
    be a string: :attr:`path` makes the :class:`~pathlib.Path` on first use (:attr:`name` is its text).
    """

    def __init__(
        self,
        handle: BinaryIO | None,
        path: str | os.PathLike[str],
        size: int,
        *,
        fd: int = -1,
        name: str | None = None,
    ) -> None:
        self._handle = handle
        self.fd = handle.fileno() if handle is not None else fd
        self._path = path if isinstance(path, Path) else None
        #: the file's name as ``str(self.path)`` gives it (``name``: already computed by the caller)
        self.name = path_text(path) if name is None else name
        self.size = size
        #: per-read scratch space, so a handler can parse its structure once per file (scan + file_findings)
        self.memo: dict[str, Any] = {}
        self._window_start = 0
        self._window = b""
        self._view: mmap.mmap | None = None

    def once(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()``, run once per open file and kept in :attr:`memo` under ``key``: a handler parses its
        structure once, and a read's scan and file findings (or a write's policy check and plan) share it."""
        if key not in self.memo:
            self.memo[key] = compute()
        value: _T = self.memo[key]
        return value

    @property
    def handle(self) -> BinaryIO:
        """The open file (seek / read / fileno); made on first use when the source was opened by descriptor."""
        if self._handle is None:
            self._handle = open(self.fd, "rb", buffering=0, closefd=False)  # noqa: SIM115 (closed with the source)
        return self._handle

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = Path(self.name)
        return self._path

    @property
    def basename(self) -> str:
        """``self.path.name``, from the text (which is in Path's normal form) without making the Path."""
        if self._path is not None:
            return self._path.name
        base = self.name.rpartition("/")[2]
        return "" if base == "." else base

    def view(self) -> mmap.mmap | bytes:
        """The whole file as a read-only buffer (memory-mapped, so nothing is copied), for walking long chains of
        small headers (GIF sub-blocks, PNG chunks) in large files without one read per header. Callers check
        offsets against :attr:`size` themselves; the map is closed with the file."""
        if self._view is None:
            if self.size == 0:
                return b""
            self._view = mmap.mmap(self.fd, 0, access=mmap.ACCESS_READ)
        return self._view

    def close(self) -> None:
        if self._view is not None:
            self._view.close()
            self._view = None

    def read_at(self, offset: int, length: int, *, what: str = "data") -> bytes:
        """Read exactly ``length`` bytes at ``offset`` or raise :class:`InputError` (truncated file).

        Small reads are served from a read-ahead window, so walking a chain of headers costs one system call per
        window rather than one per header.
        """
        if offset < 0 or length < 0 or offset + length > self.size:
            raise InputError(
                f"truncated or corrupt file: {what} of {length} bytes runs past the end ({self.size} bytes)",
                path=self.path,
                offset=offset,
            )
        skip = offset - self._window_start
        if skip >= 0 and skip + length <= len(self._window):
            return self._window[skip : skip + length]
        if length <= READ_AHEAD:
            window = os.pread(self.fd, min(READ_AHEAD, self.size - offset), offset)
            if len(window) < length:
                raise InputError(f"short read of {what}", path=self.path, offset=offset)
            self._window_start, self._window = offset, window
            return window[:length]
        self.handle.seek(offset)
        data = self.handle.read(length)
        if len(data) != length:
            raise InputError(f"short read of {what}", path=self.path, offset=offset)
        return data

    def read_all(self, *, limit: int) -> bytes:
        """The whole file, for formats that must be parsed whole (text, PDF trailer scans); refuses huge files."""
        if self.size > limit:
            raise LimitExceededError(
                f"file of {self.size} bytes is larger than the {limit}-byte limit for this format",
                path=self.path,
            )
        return self.read_at(0, self.size, what="file")

    def copy_to(self, dst: BinaryIO, offset: int, length: int) -> None:
        """Copy a byte range to ``dst`` in chunks (media data is copied, never decoded)."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise InputError(
                f"range of {length} bytes runs past the end of the file", path=self.path, offset=offset
            )
        if length >= KERNEL_COPY_MIN and _kernel_copy(self.handle, dst, offset, length):
            return
        self.handle.seek(offset)
        remaining = length
        while remaining:
            chunk = self.handle.read(min(COPY_CHUNK, remaining))
            if not chunk:
                raise InputError(
                    "short read while copying", path=self.path, offset=offset + length - remaining
                )
            dst.write(chunk)
            remaining -= len(chunk)

    def error(self, message: str, offset: int | None = None) -> InputError:
        return InputError(message, path=self.path, offset=offset)


KERNEL_COPY_MIN = 64 * 1024  # below this, one read and one write cost less than the extra system calls


def _kernel_copy(src: BinaryIO, dst: BinaryIO, offset: int, length: int) -> bool:
    """Copy with ``os.copy_file_range`` (in the kernel: no user-space buffers; shared extents where the file system
    can). False, having copied nothing, when either side is not a plain file or the kernel refuses."""
    try:
        dst_fd = dst.fileno()
        src_fd = src.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    dst.flush()
    out_pos = dst.tell()
    done = 0
    try:
        while done < length:
            n = os.copy_file_range(src_fd, dst_fd, length - done, offset + done, out_pos + done)
            if n == 0:
                break
            done += n
    except OSError:
        if done == 0:
            return False
        raise
    if done < length:
        raise InputError("short read while copying (the file shrank?)", offset=offset + done)
    dst.seek(out_pos + done)
    return True


class Container(ABC):
    """One file format. Subclasses are stateless; one instance per format lives in the registry."""

    name: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]] = ()
    media_type: ClassVar[str] = "application/octet-stream"
    can_write: ClassVar[bool] = True
    #: why writing is not supported (shown to the user), when ``can_write`` is False
    write_unsupported_reason: ClassVar[str] = ""
    #: whether :meth:`plan_in_place` can ever find room (formats with padding or appendable updates)
    supports_in_place: ClassVar[bool] = False

    # ---- to implement --------------------------------------------------------------------------------------
    @abstractmethod
    def sniff(self, head: bytes, name: str) -> bool:
        """True when ``head`` (the first 64 bytes) and the file name say this is my format."""

    @abstractmethod
    def scan(self, src: Source) -> list[Found]:
        """Every AIGC label in the file. Raise :class:`InputError` only when the container itself is broken."""

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        """Write the labeled copy to ``dst``; return warnings (e.g. a C2PA binding that will break)."""
        raise UnsupportedFormatError(
            f"writing {self.name} labels is not supported: {self.write_unsupported_reason or 'not implemented'}",
            path=src.path,
        )

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        """File-level findings beyond the one-label rule (override to report e.g. a C2PA manifest)."""
        return []

    def plan_in_place(self, src: Source, record: Record) -> InPlacePlan | None:
        """The byte changes that label the file without moving any other byte (same-size rewrites, at most an
        append), or None when the container has no room (then the atomic copy is used). Override per format."""
        return None

    # ---- shared behaviour ----------------------------------------------------------------------------------
    def read(self, path: str | os.PathLike[str]) -> ScanResult:
        with open_source(path, shared_lock=True) as src:
            return self.read_source(src)

    def read_source(self, src: Source) -> ScanResult:
        """:meth:`read` on an already opened file (detection and reading then share one open). Never changes the
        file: an undo journal left by an interrupted in-place write is reported, not applied."""
        token = _labels_seen.set(_reading())
        try:
            labels = self.scan(src)
        except _PARSER_FAILURES as exc:
            raise _with_journal(_malformed(src.path, self.name, exc), src.path) from exc
        except HeguiError as exc:
            named = exc if exc.path is not None else _named(exc, src.path)
            if isinstance(named, InputError) and has_journal(src.path):
                raise _with_journal(named, src.path) from exc
            if named is exc:
                raise
            raise named from exc
        finally:
            _labels_seen.reset(token)
        beyond = len(labels) - MAX_LABELS
        labels = labels[:MAX_LABELS]
        findings = one_label_findings(labels) + self.file_findings(src, labels)
        if beyond > 0:
            findings.append(
                Finding(
                    "error",
                    RULE_ONE_LABEL,
                    f"{beyond} more labels beyond the first {MAX_LABELS} (counted, not parsed or listed); "
                    "a file keeps one label",
                )
            )
        if _journal_beside(src.name):
            findings.append(journal_finding(src.path))
        return ScanResult(src.name, self.name, labels, findings)

    def write(
        self,
        path: str | os.PathLike[str],
        record: Record,
        *,
        output: str | os.PathLike[str] | None = None,
        batch: CommitBatch | None = None,
        in_place: bool = False,
        replace_foreign: bool = False,
        skip_labeled: bool = False,
        journal_batch: JournalBatch | None = None,
    ) -> WriteResult:
        """Label ``path`` (atomically: temporary file, fsync, rename) or write the labeled copy to ``output`` (the
        source is untouched). ``in_place`` (no ``output``): where the container has room, change only the label's
        bytes inside the file under an undo journal (:meth:`write_in_place`); elsewhere the atomic copy.

        Another producer's label is never replaced unless ``replace_foreign`` (see :mod:`hegui.label.policy`);
        ``skip_labeled`` leaves a file that already carries a valid label of the same producer untouched."""
        with complete_reads():
            return self._write(
                path,
                record,
                output=output,
                batch=batch,
                in_place=in_place,
                replace_foreign=replace_foreign,
                skip_labeled=skip_labeled,
                journal_batch=journal_batch,
            )

    def _write(
        self,
        path: str | os.PathLike[str],
        record: Record,
        *,
        output: str | os.PathLike[str] | None,
        batch: CommitBatch | None,
        in_place: bool,
        replace_foreign: bool,
        skip_labeled: bool,
        journal_batch: JournalBatch | None,
    ) -> WriteResult:
        if not self.can_write:
            raise UnsupportedFormatError(
                f"writing {self.name} labels is not supported: {self.write_unsupported_reason}", path=path
            )
        warnings: list[Finding] = list(record.require_valid().validate().warnings)
        source_path = Path(path)
        target = Path(output) if output is not None else source_path
        if target.exists() and target.is_dir():
            target = target / source_path.name
        recovery: Recovery | None = None
        if in_place and output is None:
            done, recovery = self.write_in_place(
                source_path,
                record,
                replace_foreign=replace_foreign,
                skip_labeled=skip_labeled,
                batch=journal_batch,
            )
            if done is not None:
                return done
        elif output is None and has_journal(source_path):
            recovery = _recover_locked(source_path)
        before = self.read(source_path)
        outcome = _apply_policy(before, record, replace_foreign, skip_labeled)
        if isinstance(outcome, WriteResult):
            outcome.recovery = recovery.message if recovery else None
            return outcome
        warnings.extend(replacement_warnings(before.label.record if before.label else None, record))
        with (
            open_source(source_path) as src,
            atomic_output(
                target, mode_from=source_path, batch=batch, follow_symlinks=output is None
            ) as pending,
        ):
            # renderers need where old labels are, not their values beyond the cap
            token = _labels_seen.set(_reading())
            try:
                warnings.extend(self.render(src, pending.file, record))
            except _PARSER_FAILURES as exc:
                raise _malformed(source_path, self.name, exc) from exc
            except HeguiError as exc:
                if exc.path is not None:
                    raise
                raise _named(exc, source_path) from exc
            finally:
                _labels_seen.reset(token)
            pending.file.flush()
            with open_source(pending.path) as written:  # no lock: the temporary file is ours (and locked)
                check = self.read_source(written)
            _verify(check, record, pending.path, self.name)
        replaced = before.label.record if before.label is not None else None
        return WriteResult(
            str(source_path),
            str(target),
            self.name,
            record,
            replaced,
            warnings,
            replaced_foreign=outcome,
            recovery=recovery.message if recovery else None,
        )

    def write_in_place(
        self,
        path: str | os.PathLike[str],
        record: Record,
        *,
        replace_foreign: bool = False,
        skip_labeled: bool = False,
        batch: JournalBatch | None = None,
    ) -> tuple[WriteResult | None, Recovery | None]:
        """Label the file itself, changing only the label's bytes, under the file lock and an undo journal
        (:mod:`hegui.label.journal`). Returns ``(None, recovery)`` when the container has no room or a journal
        that does not match the file is in the way (the caller then uses the atomic copy). With ``batch`` (a
        :class:`hegui.label.journal.JournalBatch`), the file stays locked and the change happens, durable and
        read back, only when the batch commits (group commit); a file the commit rolls back is reported there."""
        with complete_reads():
            return self._write_in_place(
                Path(path), record, replace_foreign=replace_foreign, skip_labeled=skip_labeled, batch=batch
            )

    def _write_in_place(
        self,
        path: Path,
        record: Record,
        *,
        replace_foreign: bool,
        skip_labeled: bool,
        batch: JournalBatch | None,
    ) -> tuple[WriteResult | None, Recovery | None]:
        warnings: list[Finding] = list(record.require_valid().validate().warnings)
        try:
            handle = open(path, "r+b", buffering=0)  # noqa: SIM115 (closed below, or by the batch)
        except OSError:
            return None, None  # read-only file or folder: the atomic copy says what is wrong
        handed_over = False
        try:
            journal.lock(handle)
            recovery = journal.recover(path, handle) if has_journal(path) else None
            if recovery is not None and recovery.blocks_in_place:
                return None, recovery
            src = Source(handle, path, os.fstat(handle.fileno()).st_size)
            try:
                before = self.read_source(src)
                outcome = _apply_policy(before, record, replace_foreign, skip_labeled)
                if isinstance(outcome, WriteResult):
                    outcome.recovery = recovery.message if recovery else None
                    return outcome, recovery
                plan = self.plan_in_place(src, record)
            finally:
                src.close()
            if plan is None:
                return None, recovery

            def verify() -> None:
                # Read back through the descriptor the write used (the same file, under the lock it holds):
                # a second open costs as much as the rest of the read on a small file.
                fresh = Source(None, path, os.fstat(handle.fileno()).st_size, fd=handle.fileno())
                try:
                    with complete_reads():
                        _verify(self.read_source(fresh), record, path, self.name)
                finally:
                    fresh.close()

            if batch is not None:
                batch.add(path, handle, plan.regions, plan.size_after, verify)
                handed_over = True
            else:
                journal.apply(path, handle, plan.regions, plan.size_after, verify)
        finally:
            if not handed_over:
                handle.close()
        replaced = before.label.record if before.label is not None else None
        warnings.extend(plan.warnings)
        warnings.extend(replacement_warnings(replaced, record))
        result = WriteResult(
            str(path),
            str(path),
            self.name,
            record,
            replaced,
            warnings,
            mode="in-place",
            replaced_foreign=outcome,
            recovery=recovery.message if recovery else None,
        )
        return result, recovery


@dataclass
class InPlacePlan:
    """Byte changes that label a file where it lies: each region keeps its size, or ends (is appended to) the
    file; ``size_after`` is the file's size afterwards."""

    regions: list[Region]
    size_after: int
    warnings: list[Finding] = field(default_factory=list)


def _apply_policy(
    before: ScanResult, record: Record, replace_foreign: bool, skip_labeled: bool
) -> WriteResult | list[Record | None]:
    """A ``skipped`` result, or the foreign labels about to be replaced (raises when that is not allowed)."""
    if skip_labeled and policy.same_producer_label(before, record):
        assert before.label is not None and before.label.record is not None
        return WriteResult(
            before.path, before.path, before.container, before.label.record, None, [], mode="skipped"
        )
    return [item.record for item in policy.check(before, record, replace_foreign=replace_foreign)]


def _recover_locked(path: Path) -> Recovery | None:
    """Recovery before an atomic write: under the file lock, from the bytes in the file."""
    try:
        handle = open(path, "r+b", buffering=0)  # noqa: SIM115 (closed by the with below)
    except OSError:
        return None
    with handle:
        journal.lock(handle)
        return journal.recover(path, handle)


if os.access in os.supports_follow_symlinks:

    def _journal_beside(name: str) -> bool:
        """:func:`hegui.label.journal.has_journal` for every read: ``faccessat`` answers without raising (and
        building) an exception when there is no journal, the common case; like ``lexists``, a dangling link
        counts."""
        cut = name.rfind("/") + 1  # journal._journal_name for a name in Path's normal form, without os.path
        return os.access(f"{name[:cut]}.{name[cut:]}.hegui-journal", os.F_OK, follow_symlinks=False)

else:  # pragma: no cover (platforms without faccessat)

    def _journal_beside(name: str) -> bool:
        return has_journal(Path(name))


def _with_journal(exc: InputError, path: Path) -> InputError:
    """A read error of a file beside an undo journal says so (the file may be torn by an interrupted write)."""
    if not has_journal(path):
        return exc
    return InputError(f"{exc.detail}; {journal_finding(path).message}", path=path, offset=exc.offset)


def journal_finding(path: Path) -> Finding:
    return Finding(
        "warning",
        RULE_JOURNAL,
        f"an interrupted in-place write left {journal.journal_path(path).name}; reading never changes a file: "
        "the next 'hegui label add' of this file checks the journal against the file and recovers it",
    )


# What a parser raises when a hostile value slips past its own checks (a field packed out of range, an index past
# a list, a number too large). Each becomes an InputError for that file, so one bad file never sinks a batch.
_PARSER_FAILURES = (struct.error, IndexError, KeyError, ValueError, OverflowError, RecursionError, zlib.error)


def _named(exc: HeguiError, path: Path) -> HeguiError:
    """``exc`` naming the file, for errors raised by helpers that do not know it (the XMP parser)."""
    return type(exc)(exc.detail, path=path, offset=exc.offset)


def _malformed(path: Path, name: str, exc: BaseException) -> InputError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return InputError(f"malformed {name} file ({type(exc).__name__}: {detail}); refused", path=path)


class NotRegularFileError(InputError):
    """A FIFO, socket or device: hegui reads regular files only (a FIFO would block a read forever)."""


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


class open_source:
    """Context manager: open ``path`` for reading as a :class:`Source`; errors name the file. ``shared_lock``
    waits for a hegui in-place write of the file to finish (a shared ``flock``; readers never block each other).

    A read costs a handful of system calls: open, a shared lock taken without waiting when no writer holds the
    file, one ``fstat`` (a FIFO, socket, device or folder is refused before anything is read from it), clearing
    ``O_NONBLOCK``, and the close. The file object is made only if a reader asks for it (see :class:`Source`)."""

    def __init__(self, path: str | os.PathLike[str], *, shared_lock: bool = False) -> None:
        self.path = path
        self.shared_lock = shared_lock
        self.source: Source | None = None

    def __enter__(self) -> Source:
        name = path_text(self.path)
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below). Unbuffered:
            # Source does its own read-ahead (one system call per window, no second copy).
            fd = os.open(self.path, _OPEN_FLAGS)
        except IsADirectoryError as exc:
            raise InputError("is a directory, not a file", path=name) from exc
        except OSError as exc:
            raise InputError(f"cannot open: {exc.strerror or exc}", path=name) from exc
        try:
            locked = False
            if self.shared_lock:
                try:  # no hegui writer holds the file (the common case): locked at once, one fstat suffices
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    locked = True
                except BlockingIOError:
                    pass
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                if stat.S_ISDIR(info.st_mode):
                    raise InputError("is a directory, not a file", path=name)
                raise NotRegularFileError(
                    f"{_file_kind(info.st_mode)}, not a regular file; hegui reads regular files only",
                    path=name,
                )
            os.set_blocking(fd, True)
            if self.shared_lock and not locked:
                fcntl.flock(
                    fd, fcntl.LOCK_SH
                )  # wait for a hegui in-place write; the size may change meanwhile
                info = os.fstat(fd)
        except BaseException:
            os.close(fd)
            raise
        self.source = Source(None, self.path, info.st_size, fd=fd, name=name)
        return self.source

    def __exit__(self, *exc: object) -> None:
        source = self.source
        if source is not None:
            self.source = None
            source.close()
            if source._handle is not None:
                source._handle.close()  # closefd=False: the descriptor is closed just below
            os.close(source.fd)


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def one_label_findings(labels: list[Found]) -> list[Finding]:
    """GB 45438 §6.1 c): a file keeps one label. Identical copies warn; differing copies are an error."""
    labels = [item for item in labels if not item.mirror]
    if len(labels) <= 1:
        return []
    records = {item.record for item in labels}
    where = ", ".join(item.location for item in labels)
    if len(records) == 1:
        return [
            Finding(
                "warning", RULE_ONE_LABEL, f"{len(labels)} identical copies of the label ({where}); keep one"
            )
        ]
    return [Finding("error", RULE_ONE_LABEL, f"{len(labels)} different labels in one file ({where})")]


def replacement_warnings(replaced: Record | None, record: Record) -> list[Finding]:
    """The warning a writer gives when the file already held a different label (which it replaces, never keeps)."""
    if replaced is None or replaced == record:
        return []
    return [
        Finding(
            "warning",
            RULE_ONE_LABEL,
            f"replaced the existing label (Label {replaced.Label!r}, ContentProducer "
            f"{replaced.ContentProducer!r}, ProduceID {replaced.ProduceID!r}); a file keeps only one label",
        )
    ]


def c2pa_warning() -> Finding:
    return Finding(
        "warning",
        RULE_C2PA,
        "the file carries a C2PA manifest; its hard binding no longer matches the changed bytes, so C2PA "
        "validators will report the manifest as tampered",
    )


def _verify(check: ScanResult, record: Record, tmp: Path, name: str) -> None:
    records = [item.record for item in check.labels if not item.mirror]
    if records != [record]:
        shown = [r.to_json() if r is not None else None for r in records]
        raise WriteVerifyError(
            f"read-back after writing the {name} label found {shown}, expected exactly [{record.to_json()}]; "
            "the original was left untouched",
            path=tmp,
        )
