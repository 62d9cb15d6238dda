"""Atomic file replacement: temporary file in the destination folder, fsync, rename.

Every writer in hegui goes through :func:`atomic_output`, so an interrupted or failed write never leaves the
original half-written, and a verification failure discards the new file.
"""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def atomic_output(
    target: str | os.PathLike[str], *, mode_from: str | os.PathLike[str] | None = None
) -> Iterator[PendingFile]:
    """Yield a :class:`PendingFile`; on success fsync it and rename it over ``target``.

    ``mode_from`` copies the permission bits of an existing file (normally the source being labeled), so that
    replacing a file in place keeps its mode.
    """
    target_path = Path(target)
    folder = target_path.parent if str(target_path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target_path.name}.", suffix=".hegui-tmp", dir=folder)
    tmp_path = Path(tmp_name)
    handle = os.fdopen(fd, "w+b")
    committed = False
    try:
        pending = PendingFile(target_path, handle, tmp_path)
        yield pending
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        source_mode = Path(mode_from) if mode_from is not None else target_path
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp_path, source_mode.stat().st_mode & 0o7777)
        os.replace(tmp_path, target_path)
        committed = True
        _fsync_dir(folder)
    finally:
        if not handle.closed:
            handle.close()
        if not committed:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (best effort: some file systems refuse to open a directory)."""
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
