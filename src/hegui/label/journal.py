"""In-place label writes under an undo journal, bound to the file it belongs to.

An in-place write changes a few metadata bytes inside the file (XMP padding, a PDF incremental update appended, an
MP4 ``moov`` with room) instead of copying the whole file. Before the first byte changes, the journal
``.NAME.hegui-journal`` beside the file holds, fsynced: the identity of the file (device, inode, size and mtime
before the write, size after it) and, for every region it changes, the old bytes and the new bytes. Then the
regions are written, the file is fsynced and read back, and the journal is deleted.

Recovery (:func:`recover`) runs only from a write, with the file open for writing and locked (``flock``), never
from a read: reads never modify a file. It decides from the bytes actually in the file:

* a torn journal (bad checksum): the write never started (the journal is fsynced before any change): discarded;
* another file's journal (device or inode differ) or a size the write could not have produced: left alone, reported;
* every region holds the new bytes: the write had finished, the journal is removed;
* every region holds the old bytes: it had not started, the journal is removed;
* each byte holds either its old or its new value (a write cut short): the old bytes and size are restored;
* anything else (the file changed since): left alone, reported.

A journal that is left alone makes later writes of that file take the atomic copy (which replaces the file and
never needs a journal) and is reported each time.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from hegui.atomic import durable

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

MAGIC = b"HEGUI-UNDO-2\n"
DIGEST = 32


@dataclass(frozen=True)
class Region:
    """One change: ``old`` bytes at ``offset`` become ``new`` (of any length only where it ends the file)."""

    offset: int
    old: bytes
    new: bytes


@dataclass(frozen=True)
class Recovery:
    """What :func:`recover` found and did, for the write's report."""

    action: str  # "rolled-back" | "completed" | "not-started" | "discarded-torn" | "left-alone"
    message: str

    @property
    def blocks_in_place(self) -> bool:
        return self.action == "left-alone"


def _journal_name(path: str | os.PathLike[str]) -> str:
    head, name = os.path.split(path)  # string operations: has_journal runs on every read
    return os.path.join(head, f".{name}.hegui-journal")


def journal_path(path: Path) -> Path:
    return Path(_journal_name(path))


def _remove_journal(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_journal_name(path))


def has_journal(path: Path) -> bool:
    return os.path.lexists(_journal_name(path))


def lock(handle: BinaryIO) -> None:
    """Exclusive lock on the open file for the whole write (hegui writers wait for each other)."""
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _encode(st: os.stat_result, size_after: int, regions: list[Region]) -> bytes:
    import hashlib  # journals are written and read by in-place writes only: reads never import these
    import json

    head = {
        "device": st.st_dev,
        "inode": st.st_ino,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "size_after": size_after,
        "regions": [[r.offset, len(r.old), len(r.new)] for r in regions],
    }
    body = bytearray(MAGIC + json.dumps(head).encode("ascii") + b"\n")
    for r in regions:
        body += r.old
        body += r.new
    body += hashlib.sha256(body).digest()
    return bytes(body)


def _decode(data: bytes) -> tuple[dict[str, int], list[Region]] | None:
    if len(data) < len(MAGIC) + DIGEST or not data.startswith(MAGIC):
        return None
    import hashlib
    import json

    if hashlib.sha256(data[:-DIGEST]).digest() != data[-DIGEST:]:
        return None
    try:
        end = data.index(b"\n", len(MAGIC))
        head = json.loads(data[len(MAGIC) : end])
        pos = end + 1
        regions = []
        for offset, old_len, new_len in head["regions"]:
            old = data[pos : pos + old_len]
            new = data[pos + old_len : pos + old_len + new_len]
            pos += old_len + new_len
            regions.append(Region(int(offset), old, new))
        info = {k: int(head[k]) for k in ("device", "inode", "size", "mtime_ns", "size_after")}
    except (ValueError, KeyError, TypeError):
        return None
    return info, regions


def recover(path: Path, handle: BinaryIO) -> Recovery | None:
    """Finish what an interrupted in-place write left, from the bytes in the file. ``handle``: the file, open for
    reading and writing and locked by the caller. None when there is no journal."""
    journal = journal_path(path)
    try:
        data = journal.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Recovery("left-alone", f"cannot read the journal {journal.name}: {exc.strerror or exc}")
    decoded = _decode(data)
    if decoded is None:
        journal.unlink()
        return Recovery(
            "discarded-torn", f"removed a torn journal {journal.name}: the file had not been changed"
        )
    info, regions = decoded
    st = os.fstat(handle.fileno())
    if (st.st_dev, st.st_ino) != (info["device"], info["inode"]):
        return Recovery(
            "left-alone",
            f"the journal {journal.name} belongs to another file (device/inode differ); left as it is",
        )
    low, high = sorted((info["size"], info["size_after"]))
    if not low <= st.st_size <= high:  # between the two: an append cut short
        return Recovery(
            "left-alone",
            f"the journal {journal.name} does not match the file (size {st.st_size}, journal says "
            f"{info['size']} before / {info['size_after']} after); left as it is",
        )
    fd = handle.fileno()
    states: set[str] = set()
    for region in regions:
        span = max(len(region.old), len(region.new))
        current = os.pread(fd, span, region.offset)
        states.add(_state(current, region, st.st_size))
    if states == {"new"} and st.st_size == info["size_after"]:
        journal.unlink()
        return Recovery("completed", "an interrupted in-place write had finished; removed its journal")
    if states == {"old"} and st.st_size == info["size"]:
        journal.unlink()
        return Recovery(
            "not-started", "an interrupted in-place write had not changed the file; removed its journal"
        )
    if "foreign" in states:
        return Recovery(
            "left-alone",
            f"the file changed after an interrupted in-place write; its journal {journal.name} was left as it is",
        )
    _restore(handle, regions, info["size"])
    journal.unlink()
    _fsync_dir(path.parent)
    return Recovery(
        "rolled-back", "rolled back an interrupted in-place write: the original bytes are restored"
    )


def _state(current: bytes, region: Region, size: int) -> str:
    """'old', 'new', 'mixed' (each byte one of the two: a write cut short) or 'foreign'."""
    old_len = len(region.old)
    if (current[:old_len] == region.old and size <= region.offset + old_len) or current == region.old:
        return "old"
    if current[: len(region.new)] == region.new:
        return "new"
    for i, byte in enumerate(current):
        allowed = (region.old[i] if i < old_len else None, region.new[i] if i < len(region.new) else None)
        if byte not in allowed:
            return "foreign"
    return "mixed"


def _restore(handle: BinaryIO, regions: list[Region], size: int) -> None:
    fd = handle.fileno()
    for region in regions:
        os.pwrite(fd, region.old, region.offset)
    os.ftruncate(fd, size)
    os.fsync(fd)


def apply(
    path: Path, handle: BinaryIO, regions: list[Region], size_after: int, verify: Callable[[], None]
) -> None:
    """Write ``regions`` into the locked file under a journal, fsync, run ``verify`` (a read-back that raises on a
    mismatch); on any failure restore the original bytes. The journal's deletion needs no flush: a journal left
    by a crash after this point finds the new bytes and is simply removed."""
    batch = JournalBatch()
    batch.add(path, handle, regions, size_after, verify, close=False)
    failures = batch.commit()
    if failures[0] is not None:
        raise failures[0]


class _Pending:
    """One file of a batch: open, locked and journaled; its regions are written at the commit. (A plain class: a
    dataclass costs about 1 ms at import, every `hegui label` start imports this module.)"""

    __slots__ = (
        "applied",
        "close",
        "handle",
        "journal_fd",
        "path",
        "regions",
        "size_after",
        "size_before",
        "verify",
    )

    def __init__(
        self,
        path: Path,
        handle: BinaryIO,
        regions: list[Region],
        size_before: int,
        size_after: int,
        verify: Callable[[], None],
        journal_fd: int,
        close: bool,
    ) -> None:
        self.path = path
        self.handle = handle
        self.regions = regions
        self.size_before = size_before
        self.size_after = size_after
        self.verify = verify
        self.journal_fd = journal_fd
        self.close = close
        self.applied = False


class JournalBatch:
    """Group commit for in-place writes: many files, each locked and journaled, share their flushes.

    :meth:`add` writes a file's journal (not yet flushed) and keeps the file open and locked; :meth:`commit`
    flushes every journal and folder, writes every file's regions, flushes the files, reads each back and removes
    the journals. The order per file is the one :func:`apply` keeps (journal durable before the first change, the
    change durable before the journal goes), so a crash leaves each file original or fully labeled; the flushes
    of a batch are merged by the file system's own journal (one commit serves the fsyncs behind it).
    """

    def __init__(self) -> None:
        self.pending: list[_Pending] = []
        self.files: set[tuple[int, int]] = set()

    def __len__(self) -> int:
        return len(self.pending)

    def holds(self, path: Path) -> bool:
        """True when ``path`` is already in the batch (its lock is held: commit before writing it again)."""
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) in self.files

    def add(
        self,
        path: Path,
        handle: BinaryIO,
        regions: list[Region],
        size_after: int,
        verify: Callable[[], None],
        *,
        close: bool = True,
    ) -> None:
        """Journal ``path`` (open for reading and writing, and locked); with ``close``, the batch closes the
        handle (releasing the lock) after the commit."""
        st = os.fstat(handle.fileno())
        fd = os.open(_journal_name(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, _encode(st, size_after, regions))
        except BaseException:
            os.close(fd)
            os.unlink(_journal_name(path))
            raise
        self.pending.append(_Pending(path, handle, regions, st.st_size, size_after, verify, fd, close))
        self.files.add((st.st_dev, st.st_ino))

    def commit(self) -> list[BaseException | None]:
        """Apply every pending write; per file, None or the error that rolled it back (the rest go on).

        The flushes of a batch of N files in F folders, in two rounds, each issued at once (concurrently, so the
        file system commits them together) and waited for before the next step:

        1. every journal (``fdatasync``: a new file, so its size and blocks are flushed with its bytes) and every
           folder that holds one (``fsync``: the journal's name), one flush per folder per batch, not per file:
           the journals are durable and findable before any byte of a file changes;
        2. the regions are written (an append also sets the size), then every file is flushed: ``fdatasync``
           where its size did not change (an overwrite of padding: the bytes are what recovery and readers need;
           the new mtime reaches the disk with the file system's next commit), ``fsync`` where it did (a PDF
           update appended);
        3. each file is read back and its journal removed, without a flush: a journal that a crash keeps finds
           the new bytes and is removed by the next write.

        A crash (process kill or power loss) before 1 ends leaves the original (a journal without its flush is
        torn or names bytes that were never written: discarded); between 1 and 2 the journal rolls the file back
        or completes it; after 2 the file is fully labeled. Never ``syncfs``: it would flush every file of the
        file system, other programs' included.
        """
        pending, self.pending, self.files = self.pending, [], set()
        failures: list[BaseException | None] = [None] * len(pending)
        try:
            folders = {os.path.dirname(item.path) or "." for item in pending}
            _flush_all([item.journal_fd for item in pending], folders=folders)  # 1.
            for item in pending:
                os.close(item.journal_fd)
                item.journal_fd = -1
            for item in pending:  # 2. the changes
                hfd = item.handle.fileno()
                item.applied = True
                for region in item.regions:
                    os.pwrite(hfd, region.new, region.offset)
                if item.size_after != item.size_before:
                    os.ftruncate(hfd, item.size_after)
            _flush_all(  # 2., one round: fdatasync where the size is unchanged, fsync where it grew or shrank
                [i.handle.fileno() for i in pending if i.size_after == i.size_before],
                full=[i.handle.fileno() for i in pending if i.size_after != i.size_before],
            )
        except BaseException:
            for item in pending:  # nothing is verified yet: put every file back as it was
                if item.journal_fd >= 0:
                    os.close(item.journal_fd)
                if item.applied:
                    _restore(item.handle, item.regions, item.size_before)
                _remove_journal(item.path)
                if item.close:
                    item.handle.close()
            raise
        for i, item in enumerate(pending):  # 3. read back
            try:
                item.verify()
            except BaseException as exc:
                _restore(item.handle, item.regions, item.size_before)
                failures[i] = exc
        # ... and the journals go, all at once: removing a flushed file frees its blocks (about 70 us each here),
        # and the file system does that for several files in parallel. Each file's lock is held until then.
        removals = [_journal_name(item.path) for item in pending]
        try:
            if durable() and len(removals) > 1:
                errors = [f.exception() for f in [_pool().submit(os.unlink, name) for name in removals]]
                if error := next((e for e in errors if e is not None), None):
                    raise error
            else:
                for name in removals:
                    os.unlink(name)
        finally:
            for item in pending:
                if item.close:
                    item.handle.close()
        return failures

    def discard(self) -> None:
        """Drop every pending write before it changed anything (journals removed, files closed)."""
        for item in self.pending:
            if item.journal_fd >= 0:
                os.close(item.journal_fd)
            _remove_journal(item.path)
            if item.close:
                item.handle.close()
        self.pending, self.files = [], set()


_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """The threads that issue a batch's flushes together (created on the first durable batch, kept)."""
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="hegui-flush")
    return _POOL


def _flush_all(fds: list[int], *, full: Iterable[int] = (), folders: Iterable[str] = ()) -> None:
    """Flush every descriptor of ``fds`` (``fdatasync``), of ``full`` (``fsync``) and every folder (``fsync``),
    concurrently: the file system's journal commits the flushes that wait together in one go (ext4's jbd2, XFS's
    log), where one after the other each would wait for its own commit. Returns when all are done; the first
    failure of a file is raised (a folder that cannot be opened or flushed is skipped, as before)."""
    if not durable():
        return
    calls: list[Callable[[], None]] = [functools.partial(os.fdatasync, fd) for fd in fds]
    calls.extend(functools.partial(os.fsync, fd) for fd in full)
    calls.extend(functools.partial(_fsync_dir, Path(folder)) for folder in folders)
    if len(calls) <= 1:
        for call in calls:
            call()
        return
    futures = [_pool().submit(call) for call in calls]
    errors = [future.exception() for future in futures]  # waits for every flush, failed or not
    for error in errors:
        if error is not None:
            raise error


def _fsync_dir(folder: Path) -> None:
    if not durable():
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
