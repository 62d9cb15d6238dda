"""Atomic file replacement: temporary file in the destination folder, fsync, rename.

Every writer in hegui goes through :func:`atomic_output`, so an interrupted or failed write never leaves the
original half-written, and a verification failure discards the new file.

Temporary files are named ``.NAME.XXXXXXXX.hegui-tmp`` and locked (``flock``) by the process writing them until they
are renamed or removed. A process killed mid-write (kill -9, power loss) leaves its temporary file behind, unlocked:
the next write into the same folder removes such stale files (see :func:`remove_stale_temporaries`). A symlinked
target is followed: the file it points to is replaced and the link is kept.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from hegui.errors import HeguiError

TEMP_SUFFIX = ".hegui-tmp"
# A temporary file younger than this is never removed by another process, locked or not: it may be between its
# creation and its lock (microseconds apart), or on a file system without flock.
STALE_AFTER_S = 60.0
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class DiskFullError(HeguiError):
    """The labeled copy could not be written for lack of space (or a file-size limit); the original is intact."""


def remove_stale_temporaries(
    folder: str | os.PathLike[str], *, older_than: float = STALE_AFTER_S
) -> list[Path]:
    """Remove the ``.*.hegui-tmp`` files in ``folder`` that no live process holds; return what was removed.

    A writer holds an exclusive ``flock`` on its temporary file for as long as it exists, and the kernel drops the
    lock when the process dies; so a temporary file whose lock can be taken, and that is older than
    ``older_than`` seconds, belongs to a dead writer. Best effort: files that cannot be removed stay.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or now - entry.stat().st_mtime < older_than:
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Still the same file (not replaced by a new writer between the scan and the lock)?
            if os.path.samestat(os.fstat(fd), os.stat(entry.path, follow_symlinks=False)):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass  # held by a live writer, or gone already
        finally:
            os.close(fd)
    return removed


# When this process last cleaned a folder (device, inode): a batch of many files in one folder scans it once, and a
# long-running process (the gateway) again after STALE_AFTER_S.
_CLEANED: dict[tuple[int, int], float] = {}


def _clean_once(folder: Path) -> None:
    try:
        info = folder.stat()
    except OSError:
        return
    key = (info.st_dev, info.st_ino)
    now = time.monotonic()
    if now - _CLEANED.get(key, -STALE_AFTER_S) >= STALE_AFTER_S:
        _CLEANED[key] = now
        remove_stale_temporaries(folder)


def _disk_full(exc: OSError, target: Path) -> DiskFullError:
    why = "the file-size limit (ulimit -f) was reached" if exc.errno == errno.EFBIG else "no space left"
    return DiskFullError(
        f"could not write the labeled file: {why} on the device of {target.parent or '.'}; "
        "the original is untouched. Free space or write the copies elsewhere with --output",
        path=target,
    )


def _create_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty ``.NAME.XXXXXXXX.hegui-tmp`` in ``folder``, opened read-write, mode 0600, created exclusively
    (never an existing file or link): what ``tempfile.mkstemp`` does, without importing tempfile (with shutil and
    random, about 10 ms of a ``hegui label add`` start)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        path = os.path.abspath(os.path.join(folder, f".{name}.{os.urandom(4).hex()}{TEMP_SUFFIX}"))
        try:
            return os.open(path, flags, 0o600), Path(path)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


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
        self._held: list[BinaryIO] = []  # open (and locked) temporary files, closed once renamed or removed

    def add(self, tmp: Path, target: Path, held: BinaryIO | None = None) -> None:
        self.pending.append((tmp, target))
        if held is not None:
            self._held.append(held)

    def _release(self) -> None:
        for handle in self._held:
            with contextlib.suppress(OSError):
                handle.close()
        self._held.clear()

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
        self._release()
        for folder in folders:
            _fsync_dir(folder)

    def discard(self) -> None:
        for tmp, _ in self.pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self.pending.clear()
        self._release()

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

            # The C library is loaded already: dlopen(NULL) finds its symbols. (ctypes.util.find_library("c")
            # imports subprocess and tempfile and runs ldconfig: 20 ms and more of a `hegui label add`.)
            _LIBC = ctypes.CDLL(None, use_errno=True)
        except OSError:
            _LIBC = False
    return _LIBC or None


@contextlib.contextmanager
def atomic_output(
    target: str | os.PathLike[str],
    *,
    mode_from: str | os.PathLike[str] | None = None,
    batch: CommitBatch | None = None,
    follow_symlinks: bool = True,
) -> Iterator[PendingFile]:
    """Yield a :class:`PendingFile`; on success fsync it and rename it over ``target``.

    ``mode_from`` copies the permission bits of an existing file (normally the source being labeled), so that
    replacing a file in place keeps its mode. With ``batch``, the flush and the rename wait for
    :meth:`CommitBatch.commit` (group commit for many files). A ``target`` that is a symbolic link is followed
    (the file it points to is replaced, the link kept); with ``follow_symlinks=False`` the link itself is replaced
    (for new copies written into an output folder, where a planted link must not redirect the write).
    Running out of space raises :class:`DiskFullError`; stale temporary files of dead writers are removed first.
    """
    target_path = Path(target)
    if follow_symlinks and target_path.is_symlink():
        # One behaviour for every writer: label the file the link points to and keep the link (the in-place
        # writer writes through the link too). A loop fails here with a clear error.
        try:
            target_path = Path(os.path.realpath(target_path, strict=True))
        except (OSError, RuntimeError) as exc:
            raise HeguiError(f"cannot follow the symbolic link: {exc}", path=target) from exc
    folder = target_path.parent if str(target_path.parent) else Path(".")
    _clean_once(folder)
    fd, tmp_path = _create_temporary(folder, target_path.name)
    handle = os.fdopen(fd, "w+b")
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held until renamed or removed: not stale
    handed_over = False
    try:
        pending = PendingFile(target_path, handle, tmp_path)
        try:
            yield pending
            handle.flush()
            if batch is None and durable():
                os.fsync(handle.fileno())
        except OSError as exc:
            if exc.errno in _DISK_FULL:
                raise _disk_full(exc, target_path) from exc
            raise
        source_mode = Path(mode_from) if mode_from is not None else target_path
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp_path, source_mode.stat().st_mode & 0o7777)
        if batch is None:
            os.replace(tmp_path, target_path)
            handed_over = True
            handle.close()
            _fsync_dir(folder)
        else:
            batch.add(tmp_path, target_path, handle)  # the batch keeps it open (locked) until the commit
            handed_over = True
    finally:
        if not handed_over:
            with contextlib.suppress(
                OSError
            ):  # closing flushes what is buffered: on a full disk that fails too
                handle.close()
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
