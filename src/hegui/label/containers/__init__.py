"""Registry of container handlers: one module per format family, each exposing ``CONTAINERS``.

Detection sniffs the first bytes of the file (and the name, for text formats); the order below puts formats with a
strong binary signature first and text formats last.
"""

from __future__ import annotations

import importlib
import os
from functools import cache

from hegui.errors import InputError, UnsupportedFormatError
from hegui.label.containers.base import (
    Container,
    Found,
    NotRegularFileError,
    ScanResult,
    Source,
    WriteResult,
    open_source,
)

__all__ = [
    "MODULES",
    "Container",
    "Found",
    "NotRegularFileError",
    "ScanResult",
    "Source",
    "WriteResult",
    "all_containers",
    "by_name",
    "detect",
    "detect_source",
    "read_file",
]

# Module names under hegui.label.containers, in sniffing order.
MODULES: tuple[str, ...] = (
    "jpeg",
    "png",
    "gif",
    "webp",
    "tiff",
    "heif",
    "pdf",
    "isobmff",
    "matroska",
    "riff",
    "flv",
    "id3",
    "flac",
    "ogg",
    "ooxml",
    "svg",
    "markdown",
    "html",
)

SNIFF_BYTES = 64

# The first bytes of a file each module's handlers can claim (None: any first byte; their sniff looks further in
# or at the name). Detection skips a module whose handlers cannot match the file's first byte, without importing it
# or calling its handlers (a page or a Markdown file is tried against 6 handlers, not 18).
# tests/label/test_read_paths.py checks every handler's sniff against this table.
FIRST_BYTES: dict[str, bytes | None] = {
    "jpeg": b"\xff",
    "png": b"\x89",
    "gif": b"G",
    "webp": b"R",
    "tiff": b"IM",
    "heif": None,  # a box size, then "ftyp"
    "pdf": None,  # "%PDF-" anywhere in the first 64 bytes
    "isobmff": None,
    "matroska": b"\x1a",
    "riff": b"RB",  # RIFF, RF64, BW64
    "flv": b"F",
    "id3": b"I\xff",  # ID3, or an MPEG audio frame sync
    "flac": b"fI",  # fLaC, or ID3 before FLAC
    "ogg": b"O",
    "ooxml": b"P",
    "svg": b"<\xef\xbb\xbf \t\r\n",  # "<", after a byte-order mark or white space
    "markdown": None,  # by name
    "html": None,
}
# Per first byte: the modules to try, in sniffing order.
_BY_FIRST_BYTE: tuple[tuple[str, ...], ...] = tuple(
    tuple(name for name in MODULES if (first := FIRST_BYTES[name]) is None or byte in first)
    for byte in range(256)
)


# Handlers per module, imported on first use: detection imports the modules in sniffing order (those FIRST_BYTES
# leaves for the file's first byte) and stops at the first that claims the file (``hegui label show x.png`` imports
# the PNG handler, not YAML or the PDF parser); all_containers() imports every one.
_BY_MODULE: dict[str, tuple[Container, ...]] = {}


def _containers_of(name: str) -> tuple[Container, ...]:
    found = _BY_MODULE.get(name)
    if found is None:
        qualified = f"{__name__}.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                raise
            found = ()  # not built yet; tests/label/test_registry.py lists what is missing
        else:
            found = tuple(module.CONTAINERS)
        _BY_MODULE[name] = found
    return found


@cache
def all_containers() -> tuple[Container, ...]:
    """Every available handler, in sniffing order."""
    return tuple(container for name in MODULES for container in _containers_of(name))


def by_name(name: str) -> Container:
    for container in all_containers():
        if container.name == name:
            return container
    raise UnsupportedFormatError(f"no container handler named {name!r}")


def detect(path: str | os.PathLike[str]) -> Container:
    """The handler for ``path``, by content (first bytes) and, for text formats, by name."""
    with open_source(path) as src:
        return detect_source(src)


def detect_source(src: Source) -> Container:
    """:func:`detect` on an already opened file."""
    if src.size == 0:
        raise InputError("empty file", path=src.name)
    head = src.read_at(0, min(SNIFF_BYTES, src.size), what="file header")
    name = src.basename
    for module in _BY_FIRST_BYTE[
        head[0]
    ]:  # sniffing order, skipping handlers that cannot claim this first byte
        for container in _BY_MODULE.get(module) or _containers_of(module):
            if container.sniff(head, name):
                return container
    known = ", ".join(sorted({c.name for c in all_containers()}))
    raise UnsupportedFormatError(f"unrecognised file format (hegui reads: {known})", path=src.name)


def read_file(path: str | os.PathLike[str]) -> ScanResult:
    """Detect the format and read every label, opening the file once (under a shared lock: a hegui in-place
    write of the file finishes first, so a read never sees a half-written label)."""
    with open_source(path, shared_lock=True) as src:
        return detect_source(src).read_source(src)
