"""Atomic file replacement: temporary file in the destination folder, fsync, rename.

Every writer in hegui goes through :func:`atomic_output`, so an interrupted or failed write never leaves the
original half-written, and a verification failure discards the new file.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


class PendingFile:
    """A temporary file that becomes ``target`` only when the ``atomic_output`` block ends without error."""

    def __init__(self, target: Path, handle: BinaryIO, path: Path) -> None:
        self.target = target
        self.file = handle
        self.path = path

    def write(self, data: bytes) -> int:
        return self.file.write(data)


class CommitBatch:
    """Group commit for many atomic writes: one file-system flush for the whole batch instead of one per file.

    Each file is rendered into its temporary file as usual; :meth:`commit` then flushes the file system once
    (``syncfs``; ``fsync`` per file where that is unavailable), renames every temporary file over its target, and
    fsyncs each folder once. The guarantee is the one :func:`atomic_output` gives per file: a target is either
    untouched or replaced by a complete, durable new file. Used as a context manager, it commits on success and
    discards every pending file on error.
    """

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []  # (temporary file, target)

    def add(self, tmp: Path, target: Path) -> None:
        self.pending.append((tmp, target))

    def commit(self) -> None:
        if not self.pending:
            return
        if durable():
            _flush_filesystems([tmp for tmp, _ in self.pending])
        folders: set[Path] = set()
        for tmp, target in self.pending:
            os.replace(tmp, target)
            folders.add(target.parent if str(target.parent) else Path("."))
        self.pending.clear()
        for folder in folders:
            _fsync_dir(folder)

    def discard(self) -> None:
        for tmp, _ in self.pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self.pending.clear()

    def __enter__(self) -> CommitBatch:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _flush_filesystems(paths: list[Path]) -> None:
    """Make the data of every path durable: one syncfs(2) per file system on Linux, else fsync per file."""
    syncfs = getattr(_libc(), "syncfs", None)
    seen: set[int] = set()
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            device = os.fstat(fd).st_dev
            if syncfs is None:
                os.fsync(fd)
            elif device not in seen:
                if syncfs(fd) != 0:
                    os.fsync(fd)
                    continue
                seen.add(device)
        finally:
            os.close(fd)


_LIBC: object | None = None


def _libc() -> object | None:
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes
            import ctypes.util

            name = ctypes.util.find_library("c")
            _LIBC = ctypes.CDLL(name, use_errno=True) if name else False
        except OSError:
            _LIBC = False
    return _LIBC or None


@contextlib.contextmanager
def atomic_output(
    target: str | os.PathLike[str],
    *,
    mode_from: str | os.PathLike[str] | None = None,
    batch: CommitBatch | None = None,
) -> Iterator[PendingFile]:
    """Yield a :class:`PendingFile`; on success fsync it and rename it over ``target``.

    ``mode_from`` copies the permission bits of an existing file (normally the source being labeled), so that
    replacing a file in place keeps its mode. With ``batch``, the flush and the rename wait for
    :meth:`CommitBatch.commit` (group commit for many files).
    """
    target_path = Path(target)
    folder = target_path.parent if str(target_path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target_path.name}.", suffix=".hegui-tmp", dir=folder)
    tmp_path = Path(tmp_name)
    handle = os.fdopen(fd, "w+b")
    handed_over = False
    try:
        pending = PendingFile(target_path, handle, tmp_path)
        yield pending
        handle.flush()
        if batch is None and durable():
            os.fsync(handle.fileno())
        handle.close()
        source_mode = Path(mode_from) if mode_from is not None else target_path
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp_path, source_mode.stat().st_mode & 0o7777)
        if batch is None:
            os.replace(tmp_path, target_path)
            handed_over = True
            _fsync_dir(folder)
        else:
            batch.add(tmp_path, target_path)
            handed_over = True
    finally:
        if not handle.closed:
            handle.close()
        if not handed_over:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (best effort: some file systems refuse to open a directory)."""
    if not durable():
        return
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# ---- durability switch ----------------------------------------------------------------------------------------
# Every flush above (and the label journal's) asks durable(). Off, writes stay atomic for readers (rename, journal)
# but a power cut may lose them: what ExifTool and most tools do. Benchmarks use it to show what fsync costs;
# users choose it for scratch output (hegui label add --no-fsync).

_DURABLE = contextvars.ContextVar("hegui_durable", default=True)


def durable() -> bool:
    """True unless inside :func:`no_fsync`."""
    return _DURABLE.get()


def sync(fd: int) -> None:
    """fsync ``fd`` unless inside :func:`no_fsync`."""
    if _DURABLE.get():
        os.fsync(fd)


@contextlib.contextmanager
def no_fsync() -> Iterator[None]:
    """Inside this block, writes skip fsync (still atomic against readers and crashes of the process)."""
    token = _DURABLE.set(False)
    try:
        yield
    finally:
        _DURABLE.reset(token)
